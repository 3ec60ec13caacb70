package cloversim

import "net/http"

// idempotent runs do at most once per (merchant, key) and replays its stored
// status and body to every later request with the same key and the same
// request hash: errors (a 402 decline, a 400) replay too, exactly like
// successes. Clover's reuse semantics are UNCONFIRMED (CLOVER.md §2); the
// sim's choices:
//
//   - same key, different method/path/body → Options.IdempotencyMismatchStatus
//     (default 400) with type idempotency_error;
//   - same key while the first request still runs → 409 idempotency_error at
//     once, rather than waiting: a waiting duplicate would hold a concurrency
//     slot against the token's budget, and paybridge's own API answers 409
//     for the same race, so clients must handle it anyway;
//   - the key is scoped per merchant: merchant B may reuse merchant A's key.
func (s *Sim) idempotent(mid, key string, hash [32]byte, do func() (int, []byte)) (int, []byte) {
	k := mid + "\x00" + key
	s.mu.Lock()
	if e, ok := s.idem[k]; ok {
		s.mu.Unlock()
		switch {
		case e.BodyHash != hash:
			return idemError(s.opts.IdempotencyMismatchStatus,
				"Keys for idempotent requests can only be used with the same parameters they were first used with.")
		case e.InFlight:
			return idemError(http.StatusConflict,
				"A request with this idempotency key is still being processed; retry later.")
		}
		return e.Status, e.Body
	}
	e := &idemEntry{BodyHash: hash, InFlight: true}
	s.idem[k] = e
	s.mu.Unlock()

	done := false
	defer func() {
		if !done { // do panicked: forget the key so a retry can run
			s.mu.Lock()
			delete(s.idem, k)
			s.mu.Unlock()
		}
	}()
	status, body := do()
	done = true
	s.mu.Lock()
	e.Status, e.Body, e.InFlight = status, body, false
	s.mu.Unlock()
	return status, body
}

func idemError(status int, msg string) (int, []byte) {
	e := errf(status, "idempotency_error", "", "%s", msg)
	return render(0, nil, e)
}
