package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func testMerchants(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)

	got, err := s.GetMerchant(ctx, m.ID)
	ok(t, err)
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("GetMerchant (-want +got):\n%s", diff)
	}
	got, err = s.GetMerchantByCloverID(ctx, m.CloverMerchantID)
	ok(t, err)
	if got.ID != m.ID {
		t.Errorf("GetMerchantByCloverID = %s, want %s", got.ID, m.ID)
	}

	creds, err := s.MerchantCredentials(ctx, m.ID)
	ok(t, err)
	if want := []byte("sealed:" + m.ID); !bytes.Equal(creds, want) {
		t.Errorf("credentials = %q, want %q", creds, want)
	}
	sealed := []byte{0, 1, 2, 0xff, 0}
	ok(t, s.SetMerchantCredentials(ctx, m.ID, sealed))
	creds, err = s.MerchantCredentials(ctx, m.ID)
	ok(t, err)
	if !bytes.Equal(creds, sealed) {
		t.Errorf("credentials after set = %x, want %x (binary-safe)", creds, sealed)
	}
	fresh, err := s.GetMerchant(ctx, m.ID)
	ok(t, err)
	both, bothCreds, err := s.MerchantWithCredentials(ctx, m.ID)
	ok(t, err)
	if diff := cmp.Diff(fresh, both); diff != "" || !bytes.Equal(bothCreds, sealed) {
		t.Errorf("MerchantWithCredentials: credentials %x, want %x; merchant (-want +got):\n%s", bothCreds, sealed, diff)
	}

	ok(t, s.SetMerchantStatus(ctx, m.ID, paybridge.MerchantReauthorizationRequired))
	got, err = s.GetMerchant(ctx, m.ID)
	ok(t, err)
	if got.Status != paybridge.MerchantReauthorizationRequired {
		t.Errorf("status = %s, want reauthorization_required", got.Status)
	}

	dup := *m
	wantErr(t, s.CreateMerchant(ctx, &dup, nil), paybridge.ECONFLICT, "")
	sameClover := *m
	sameClover.ID = paybridge.NewID(paybridge.PrefixMerchant)
	wantErr(t, s.CreateMerchant(ctx, &sameClover, nil), paybridge.ECONFLICT, "")

	missing := "mer_missing"
	_, err = s.GetMerchant(ctx, missing)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.GetMerchantByCloverID(ctx, "NOPE")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.MerchantCredentials(ctx, missing)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, _, err = s.MerchantWithCredentials(ctx, missing)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	wantErr(t, s.SetMerchantCredentials(ctx, missing, sealed), paybridge.ENOTFOUND, "")
	wantErr(t, s.SetMerchantStatus(ctx, missing, paybridge.MerchantActive), paybridge.ENOTFOUND, "")
}
