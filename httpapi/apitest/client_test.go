package apitest

import "testing"

func TestSpecLoadsAndValidates(t *testing.T) {
	t.Parallel()
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Find("/v1/invoices/{id}/payments") == nil {
		t.Fatal("spec lacks /v1/invoices/{id}/payments")
	}
}
