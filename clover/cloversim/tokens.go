package cloversim

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// tokenFunc is a tokenizer handler: it acts for the merchant whose PAKMS key
// the `apikey` header carries.
type tokenFunc func(r *http.Request, m *merchant) (int, any, *apiError)

// tokenAPI is the tokenizer host's pipeline: `apikey: <PAKMS key>` auth (no
// Bearer; a bad key is the bare 401), injected 5xx and latency. The
// tokenizer has no documented rate limits or idempotency keys.
func (s *Sim) tokenAPI(h tokenFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("apikey")
		s.mu.Lock()
		m := s.merchants[s.pakms[key]]
		s.mu.Unlock()
		if key == "" || m == nil {
			writeUnauthorized(w)
			return
		}
		f := s.drawFault()
		if f.status != 0 {
			writeAPIError(w, errf(f.status, "api_error", "", "%s", http.StatusText(f.status)))
			return
		}
		if !sleepCtx(r.Context(), f.latency) {
			return
		}
		status, out := render(h(r, m))
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(status)
		_, _ = w.Write(out)
	}
}

// createToken is POST /v1/tokens: validate the card and mint a single-use
// clv_ token owned by the key's merchant. The card number stays inside the
// sim (to decide approve/decline) and is never logged.
func (s *Sim) createToken(r *http.Request, m *merchant) (int, any, *apiError) {
	var p clover.TokenParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if p.Card == nil {
		return 0, nil, errf(400, "invalid_request_error", "parameter_missing", "Please provide card details.")
	}
	now := s.now()
	card, number, e := validateCard(p.Card, now)
	if e != nil {
		return 0, nil, e
	}
	t := &cardToken{ID: newTokenID(), MerchantID: m.ID, Card: card, Number: number, Created: now, ClientIP: remoteIP(r)}
	s.mu.Lock()
	s.tokens[t.ID] = t
	s.mu.Unlock()
	return 200, tokenView(t), nil
}

// getToken is GET /v1/tokens/{id}; another merchant's token is not found.
func (s *Sim) getToken(r *http.Request, m *merchant) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil || t.MerchantID != m.ID {
		return 0, nil, notFound("invalid_request_error", "resource_missing", "Token", id)
	}
	return 200, tokenView(t), nil
}

func tokenView(t *cardToken) *clover.Token {
	c := t.Card
	c.ID = ""
	return &clover.Token{ID: t.ID, Object: "token", Card: &c, Created: t.Created.UnixMilli(), Type: "card", Used: t.Used, ClientIP: t.ClientIP}
}

// remoteIP is the address the tokenizer saw the card come from (the
// payer's browser, which calls it directly): the token's client_ip, as the
// tokenizer's OpenAPI has it (CLOVER.md §4).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// validateCard checks a card as Clover's tokenizer does and returns its
// public view and its digits. Errors never contain the number.
func validateCard(cd *clover.CardDetails, now time.Time) (clover.Card, string, *apiError) {
	cardErr := func(code, msg, param string) (clover.Card, string, *apiError) {
		return clover.Card{}, "", &apiError{Status: 400, Detail: clover.ErrorDetail{
			Type: "card_error", Code: code, Message: msg, Param: param}}
	}
	num := cd.Number
	if len(num) < 12 || len(num) > 19 || !allDigits(num) {
		return cardErr("invalid_number", "The card number is not a valid credit card number.", "number")
	}
	if !luhn(num) {
		return cardErr("incorrect_number", "The card number is incorrect.", "number")
	}
	brand := detectBrand(num)
	if brand == "" {
		return cardErr("invalid_card_type", "The card type is not supported.", "number")
	}
	month, err := strconv.Atoi(cd.ExpMonth)
	if err != nil || !allDigits(cd.ExpMonth) || len(cd.ExpMonth) > 2 || month < 1 || month > 12 {
		return cardErr("invalid_expiry_month", "The card's expiration month is invalid.", "exp_month")
	}
	year, err := strconv.Atoi(cd.ExpYear)
	if err != nil || !allDigits(cd.ExpYear) || (len(cd.ExpYear) != 2 && len(cd.ExpYear) != 4) {
		return cardErr("invalid_expiry_year", "The card's expiration year is invalid.", "exp_year")
	}
	if len(cd.ExpYear) == 2 {
		year += 2000
	}
	if year > now.Year()+50 {
		return cardErr("invalid_expiry_year", "The card's expiration year is invalid.", "exp_year")
	}
	if year < now.Year() || (year == now.Year() && month < int(now.Month())) {
		return cardErr("expired_card", "The card has expired.", "exp_year")
	}
	cvvLen := 3
	if brand == "AMEX" {
		cvvLen = 4
	}
	if len(cd.CVV) != cvvLen || !allDigits(cd.CVV) {
		return cardErr("invalid_cvc", "The card's security code is invalid.", "cvv")
	}
	return clover.Card{
		Brand: brand, First6: num[:6], Last4: num[len(num)-4:],
		ExpMonth: fmt.Sprintf("%02d", month), ExpYear: strconv.Itoa(year),
		Name: cd.Name, AddressZip: cd.AddressZip, CVCCheck: "pass",
	}, num, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// luhn reports whether a digit string passes the Luhn checksum.
func luhn(num string) bool {
	sum, double := 0, false
	for i := len(num) - 1; i >= 0; i-- {
		d := int(num[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// detectBrand names a card's network from its IIN ("" if unsupported).
func detectBrand(num string) string {
	p := func(n int) int { v, _ := strconv.Atoi(num[:n]); return v }
	switch {
	case num[0] == '4':
		return "VISA"
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return "MC"
	case p(2) == 34 || p(2) == 37:
		return "AMEX"
	case strings.HasPrefix(num, "6011"), p(2) == 65, p(3) >= 644 && p(3) <= 649,
		p(6) >= 622126 && p(6) <= 622925:
		return "DISCOVER"
	case p(3) >= 300 && p(3) <= 305, p(2) == 36, p(2) == 38, p(2) == 39:
		return "DINERS_CLUB"
	case p(4) >= 3528 && p(4) <= 3589:
		return "JCB"
	}
	return ""
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newTokenID returns a sandbox token id: clv_1TST and 20 random characters.
func newTokenID() string {
	b := make([]byte, 20)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(tokenChars))))
		b[i] = tokenChars[n.Int64()]
	}
	return "clv_1TST" + string(b)
}

// getPAKMS is GET /pakms/apikey: the merchant's public tokenizer key.
func (s *Sim) getPAKMS(_ *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return 200, &clover.PAKMSKey{
		Active: true, APIAccessKey: c.M.PAKMSKey,
		CreatedTime: s.ecom.started, ModifiedTime: s.ecom.started,
		DeveloperAppUUID: s.app.ID, MerchantUUID: c.M.ID,
	}, nil
}
