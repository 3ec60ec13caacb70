package httpapi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/httpapi/apitest"
	"github.com/paybridge/paybridge/seal"
)

func TestSealedIdempotency(t *testing.T) {
	t.Parallel()
	sealer, err := seal.New("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	mem := &apitest.MemIdempotency{}
	s := httpapi.SealedIdempotency{Store: mem, Sealer: sealer}
	ctx := context.Background()
	rec := &paybridge.IdempotencyRecord{MerchantID: "mer_1", Key: "k", RequestHash: "h"}
	if got, err := s.BeginIdempotent(ctx, rec); err != nil || got != nil {
		t.Fatalf("first begin = %v, %v", got, err)
	}
	body := []byte(`{"secret":"whsec_abc"}`)
	if err := s.CompleteIdempotent(ctx, "mer_1", "k", 201, body); err != nil {
		t.Fatal(err)
	}
	stored, _ := mem.BeginIdempotent(ctx, rec)
	if bytes.Contains(stored.Body, []byte("whsec_abc")) {
		t.Fatal("the stored response holds the secret in plaintext")
	}
	got, err := s.BeginIdempotent(ctx, rec)
	if err != nil || !bytes.Equal(got.Body, body) || got.Status != 201 {
		t.Fatalf("replay = %+v, %v", got, err)
	}
}
