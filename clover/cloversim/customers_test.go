package cloversim

import (
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

func TestCustomerCardOnFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("POST", "/v1/customers", clover.CustomerParams{Email: "jdoe@example.com", FirstName: "Joe", LastName: "Doe", Source: b.tokenize(visa)})
	expect(t, r, 200)
	var cu clover.Customer
	r.json(t, &cu)
	if cu.Object != "customer" || cu.Email != "jdoe@example.com" || cu.Name != "Joe Doe" || cu.Sources == nil || len(cu.Sources.Data) != 1 {
		t.Fatalf("customer %s", r.Raw)
	}
	if !strings.Contains(string(r.Raw), `"sources":{"object":"list","data":["`+cu.Sources.Data[0]+`"]`) {
		t.Errorf("sources shape %s", r.Raw)
	}
	cardID := cu.Sources.Data[0]
	// Charge by customer id and by card id, as card on file.
	sc := &clover.StoredCredentials{Sequence: "SUBSEQUENT", Initiator: "MERCHANT", IsScheduled: true}
	ch := b.mustCharge(clover.ChargeParams{Amount: 700, Currency: "usd", Source: cu.ID, StoredCredentials: sc})
	if ch.Customer != cu.ID || ch.Source.Last4 != "4242" || ch.Source.ID != cardID || ch.StoredCredentials == nil {
		t.Errorf("customer charge %+v", ch)
	}
	ch2 := b.mustCharge(clover.ChargeParams{Amount: 800, Currency: "usd", Source: cardID})
	if ch2.Customer != cu.ID {
		t.Errorf("card charge %+v", ch2)
	}
	bad := b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 1, Currency: "usd", Source: cu.ID,
		StoredCredentials: &clover.StoredCredentials{Sequence: "LATER", Initiator: "MERCHANT"}})
	expect(t, bad, 400)
	// Add a declining card, delete the good one: the customer now declines.
	r = b.do("PUT", "/v1/customers/"+cu.ID, clover.CustomerParams{Source: b.tokenize("4005571702222222")})
	expect(t, r, 200)
	r.json(t, &cu)
	if len(cu.Sources.Data) != 2 {
		t.Fatalf("after PUT %s", r.Raw)
	}
	r = b.do("DELETE", "/v1/customers/"+cu.ID+"/sources/"+cardID, nil)
	expect(t, r, 200)
	if got := strings.TrimSpace(string(r.Raw)); got != `{"deleted":true,"id":"`+cardID+`","object":"deletedcard"}` {
		t.Errorf("delete body %s", got)
	}
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 700, Currency: "usd", Source: cu.ID}), 402)
	r = b.do("DELETE", "/v1/customers/"+cu.ID+"/sources/"+cardID, nil)
	expect(t, r, 404)
	if d := r.errDetail(t); d.Message != "Card with id "+cardID+" not found." {
		t.Errorf("%+v", d)
	}
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 700, Currency: "usd", Source: cardID}), 400)
}

func TestCustomerValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, email := range []string{"", "nope", "a@b", "Joe <joe@example.com>"} {
		r := b.do("POST", "/v1/customers", clover.CustomerParams{Email: email})
		expect(t, r, 400)
		if d := r.errDetail(t); d.Code != "email_invalid" || d.Message != "Please provide a valid email." {
			t.Errorf("%q: %+v", email, d)
		}
	}
	r := b.do("POST", "/v1/customers", clover.CustomerParams{Email: "x@example.com"})
	var cu clover.Customer
	r.json(t, &cu)
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: cu.ID}), 400)
	r = b.do("PUT", "/v1/customers/ABCDEFGHJKMNP", clover.CustomerParams{Phone: "1"})
	expect(t, r, 404)
	if d := r.errDetail(t); d.Type != "validation_error" || d.Code != "resource_missing" {
		t.Errorf("%+v", d)
	}
	tok := b.tokenize(visa)
	b.mustCharge(clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok})
	r = b.do("PUT", "/v1/customers/"+cu.ID, clover.CustomerParams{Source: tok})
	expect(t, r, 400)
	if d := r.errDetail(t); d.Code != "token_already_used" {
		t.Errorf("%+v", d)
	}
}
