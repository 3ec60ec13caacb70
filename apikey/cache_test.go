package apikey

import (
	"testing"
	"time"
)

func TestVerifiedCacheKeepsEveryCheck(t *testing.T) {
	t.Parallel()
	kr, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	kr.Now = func() time.Time { return now }
	tok, err := kr.Issue(Claims{MerchantID: "mer_1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	first, err := kr.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	first.MerchantID = "mer_evil" // callers cannot poison the cache
	again, err := kr.Verify(tok)
	if err != nil || again.MerchantID != "mer_1" {
		t.Fatalf("cached verify = %+v, %v", again, err)
	}

	// Expiry is honoured for cached keys.
	now = now.Add(2 * time.Hour)
	if _, err := kr.Verify(tok); err == nil {
		t.Fatal("an expired key verified from the cache")
	}
	now = now.Add(-2 * time.Hour)

	// Retiring the signing key stops its cached tokens at once.
	oldKID := kr.ActiveKID()
	if _, err := kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Verify(tok); err != nil {
		t.Fatalf("old key before retirement: %v", err)
	}
	if err := kr.Retire(oldKID); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Verify(tok); err == nil {
		t.Fatal("a token of a retired key verified from the cache")
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	kr, _ := NewKeyring()
	tok, _ := kr.Issue(Claims{MerchantID: "mer_1"}, time.Hour)
	_, _ = kr.Verify(tok)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
