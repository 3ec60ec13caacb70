package cloversim

import (
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func TestTokenizeCard(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: "378282246310005", ExpMonth: "3", ExpYear: "29", CVV: "1234"}}, "apikey", b.pakms)
	expect(t, r, 200)
	var tok clover.Token
	r.json(t, &tok)
	if !strings.HasPrefix(tok.ID, "clv_1TST") || len(tok.ID) != len("clv_1TST")+20 {
		t.Errorf("token id %q: want clv_1TST + 20 chars", tok.ID)
	}
	want := clover.Card{Brand: "AMEX", First6: "378282", Last4: "0005", ExpMonth: "03", ExpYear: "2029", CVCCheck: "pass"}
	if *tok.Card != want {
		t.Errorf("card = %+v, want %+v", *tok.Card, want)
	}
	if strings.Contains(string(r.Raw), "378282246310005") {
		t.Error("token response echoes the card number")
	}
	g := b.do("GET", "/v1/tokens/"+tok.ID, nil, "apikey", b.pakms)
	expect(t, g, 200)
	// Another merchant's key cannot see it.
	_, _, pk2 := b.sim.AddMerchant("B")
	expect(t, b.do("GET", "/v1/tokens/"+tok.ID, nil, "apikey", pk2), 404)
}

func TestTokenizeRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name                string
		number, month, year string
		cvv                 string
		code                string
	}{
		{"luhn", "4242424242424241", "12", "2030", "123", "incorrect_number"},
		{"letters", "4242abcd42424242", "12", "2030", "123", "invalid_number"},
		{"short", "42424242", "12", "2030", "123", "invalid_number"},
		{"spaces", "4242 4242 4242 4242", "12", "2030", "123", "invalid_number"},
		{"empty", "", "12", "2030", "123", "invalid_number"},
		{"unknown brand", "9999999999999995", "12", "2030", "123", "invalid_card_type"},
		{"month 13", visa, "13", "2030", "123", "invalid_expiry_month"},
		{"month 0", visa, "0", "2030", "123", "invalid_expiry_month"},
		{"month word", visa, "may", "2030", "123", "invalid_expiry_month"},
		{"year 3 digits", visa, "12", "203", "123", "invalid_expiry_year"},
		{"year far", visa, "12", "2099", "123", "invalid_expiry_year"},
		{"expired last year", visa, "12", "2025", "123", "expired_card"},
		{"expired last month", visa, "10", "2026", "123", "expired_card"},
		{"cvv short", visa, "12", "2030", "12", "invalid_cvc"},
		{"cvv 4 on visa", visa, "12", "2030", "1234", "invalid_cvc"},
		{"cvv 3 on amex", "378282246310005", "12", "2030", "123", "invalid_cvc"},
		{"cvv letters", visa, "12", "2030", "12a", "invalid_cvc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
				Number: tt.number, ExpMonth: tt.month, ExpYear: tt.year, CVV: tt.cvv}}, "apikey", b.pakms)
			expect(t, r, 400)
			if d := r.errDetail(t); d.Code != tt.code {
				t.Errorf("code %q, want %q (%s)", d.Code, tt.code, r.Raw)
			}
			if tt.number != "" && strings.Contains(string(r.Raw), tt.number) {
				t.Error("error echoes the card number")
			}
		})
	}
	// This month still works.
	r := b.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: visa, ExpMonth: "11", ExpYear: "2026", CVV: "123"}}, "apikey", b.pakms)
	expect(t, r, 200)
}

func TestTokenizeAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	card := clover.TokenParams{Card: &clover.CardDetails{Number: visa, ExpMonth: "12", ExpYear: "2030", CVV: "123"}}
	for _, key := range []string{"", "nope", b.token} {
		r := b.do("POST", "/v1/tokens", card, "apikey", key)
		expect(t, r, 401)
		if string(r.Raw) != `{"message":"401 Unauthorized"}` {
			t.Errorf("401 body %s", r.Raw)
		}
	}
}

func TestDetectBrand(t *testing.T) {
	t.Parallel()
	for num, want := range map[string]string{
		visa: "VISA", "5424180273333333": "MC", "2221000000000009": "MC", "371449635398431": "AMEX",
		"6011000990139424": "DISCOVER", "6500000000000002": "DISCOVER", "30569309025904": "DINERS_CLUB",
		"38520000023237": "DINERS_CLUB", "3566002020360505": "JCB", "1234567890123452": "",
	} {
		if got := detectBrand(num); got != want {
			t.Errorf("detectBrand(%s) = %q, want %q", num[:6], got, want)
		}
	}
}

func TestTokenSingleUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.tokenize(visa)
	b.mustCharge(clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok})
	r := b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok})
	expect(t, r, 400)
	const want = `{"message":"400 Bad Request","error":{"code":"token_already_used","message":"You cannot use a clover token more than once unless it is marked as multipay."}}`
	if got := strings.TrimSpace(string(r.Raw)); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
	g := b.do("GET", "/v1/tokens/"+tok, nil, "apikey", b.pakms)
	var tk clover.Token
	g.json(t, &tk)
	if !tk.Used {
		t.Error("token not marked used")
	}
	// A validation error does not spend a token.
	tok2 := b.tokenize(visa)
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 0, Currency: "usd", Source: tok2}), 400)
	b.mustCharge(clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok2})
}

func TestTokenBelongsToMerchant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, tokB, pkB := b.sim.AddMerchant("B")
	tok := b.tokenizeWith(pkB, visa)
	r := b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok})
	expect(t, r, 400)
	r2, err := b.reqAs(t.Context(), tokB, "POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, r2, 200)
}

func FuzzTokenize(f *testing.F) {
	f.Add(visa, "12", "2030", "123")
	f.Add("378282246310005", "01", "29", "1234")
	f.Add("4242424242424241", "12", "2030", "123")
	f.Add("", "", "", "")
	f.Add("0000000000000000", "00", "0000", "000")
	f.Add("6011000990139424", "+1", "-30", "１２３")
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, number, month, year, cvv string) {
		card, num, e := validateCard(&clover.CardDetails{Number: number, ExpMonth: month, ExpYear: year, CVV: cvv}, now)
		if e != nil {
			if e.Status != 400 || e.Detail.Code == "" {
				t.Fatalf("bad error %+v", e)
			}
			if len(number) >= 4 && strings.Contains(e.Detail.Message, number) {
				t.Fatal("error message contains the number")
			}
			return
		}
		// Accepted: everything must really be valid.
		if num != number || !allDigits(number) || !luhn(number) || len(number) < 12 || len(number) > 19 {
			t.Fatalf("accepted bad number %q", number)
		}
		if card.Brand == "" || card.Last4 != number[len(number)-4:] || card.First6 != number[:6] {
			t.Fatalf("bad card %+v", card)
		}
		want := 3
		if card.Brand == "AMEX" {
			want = 4
		}
		if len(cvv) != want || !allDigits(cvv) {
			t.Fatalf("accepted cvv %q for %s", cvv, card.Brand)
		}
		exp := time.Date(atoi(card.ExpYear), time.Month(atoi(card.ExpMonth))+1, 1, 0, 0, 0, 0, time.UTC)
		if !exp.After(now) {
			t.Fatalf("accepted expired %s/%s", month, year)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
