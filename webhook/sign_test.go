package webhook

import (
	"strings"
	"testing"
	"time"
)

// The reference vector of the Standard Webhooks specification and its
// libraries (standard-webhooks/standard-webhooks, libraries' tests).
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignReferenceVector(t *testing.T) {
	t.Parallel()
	got, err := Sign(vecSecret, vecID, time.Unix(vecTS, 0), []byte(vecBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vecSig {
		t.Fatalf("Sign = %s, want %s", got, vecSig)
	}
	// The prefix is optional.
	if got2, _ := Sign(strings.TrimPrefix(vecSecret, SecretPrefix), vecID, time.Unix(vecTS, 0), []byte(vecBody)); got2 != vecSig {
		t.Fatalf("Sign without prefix = %s", got2)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(vecTS, 0)
	oldSecret, newSecret := NewSecret(), NewSecret()
	body := []byte(`{"type":"invoice.paid"}`)
	h, err := Headers("evt_1", now, body, newSecret, oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		secret  string
		id, ts  string
		sig     string
		body    string
		now     time.Time
		wantErr error
	}{
		{"reference vector", vecSecret, vecID, "1614265330", vecSig, vecBody, now, nil},
		{"rotation: new secret verifies", newSecret, "evt_1", h[HeaderTimestamp], h[HeaderSignature], string(body), now, nil},
		{"rotation: old secret verifies during overlap", oldSecret, "evt_1", h[HeaderTimestamp], h[HeaderSignature], string(body), now, nil},
		{"another secret fails", NewSecret(), "evt_1", h[HeaderTimestamp], h[HeaderSignature], string(body), now, ErrNoMatch},
		{"tampered body fails", vecSecret, vecID, "1614265330", vecSig, `{"test": 2432232315}`, now, ErrNoMatch},
		{"other id fails", vecSecret, "msg_other", "1614265330", vecSig, vecBody, now, ErrNoMatch},
		{"old timestamp fails", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(6 * time.Minute), ErrTimestamp},
		{"future timestamp fails", vecSecret, vecID, "1614265330", vecSig, vecBody, now.Add(-6 * time.Minute), ErrTimestamp},
		{"garbage timestamp fails", vecSecret, vecID, "x", vecSig, vecBody, now, ErrTimestamp},
		{"v1a scheme ignored", vecSecret, vecID, "1614265330", "v1a," + vecSig[3:], vecBody, now, ErrNoMatch},
		{"bad secret", "whsec_!!", vecID, "1614265330", vecSig, vecBody, now, ErrBadSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tc.secret, tc.id, tc.ts, tc.sig, []byte(tc.body), tc.now, 5*time.Minute)
			if err != tc.wantErr {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if n := len(strings.Fields(h[HeaderSignature])); n != 2 {
		t.Fatalf("rotation header has %d signatures, want 2", n)
	}
}

func TestNewSecretIsRandomAndValid(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, SecretPrefix) {
		t.Fatalf("secrets %q %q", a, b)
	}
	if _, err := key(a); err != nil {
		t.Fatal(err)
	}
}
