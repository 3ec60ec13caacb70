package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// newAttemptKey is the random key of one rendering of the form.
func newAttemptKey() string { return rand.Text() }

// csrfToken binds a rendered form to its link and attempt key and to the
// time it was issued: "<unix>.<base64url HMAC-SHA256(key, link|attempt|unix)>".
func (s *Server) csrfToken(linkID, attempt string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return ts + "." + s.csrfMAC(linkID, attempt, ts)
}

func (s *Server) csrfMAC(linkID, attempt, ts string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("pay-form|" + linkID + "|" + attempt + "|" + ts))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfOK verifies a token for the link and attempt, and that it is younger
// than FormTTL (expired reports an old but authentic token).
func (s *Server) csrfOK(token, linkID, attempt string) (ok, expired bool) {
	ts, mac, found := strings.Cut(token, ".")
	if !found || attempt == "" || len(attempt) > 64 {
		return false, false
	}
	if !hmac.Equal([]byte(mac), []byte(s.csrfMAC(linkID, attempt, ts))) {
		return false, false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false, false
	}
	if s.Now().Sub(time.Unix(sec, 0)) > s.FormTTL {
		return false, true
	}
	return true, false
}
