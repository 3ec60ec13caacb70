package clover_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/governor"
)

const (
	cardOK      = "4242424242424242"
	cardDecline = "4005571702222222"
)

// simBundle is a client wired to a fresh cloversim.
type simBundle struct {
	sim  *cloversim.Sim
	srv  *httptest.Server
	c    *clover.Client
	a    clover.Auth
	opts cloversim.Options
}

func setupSim(t *testing.T, o cloversim.Options) *simBundle {
	t.Helper()
	sim := cloversim.New(o)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	opts := sim.Options()
	u := srv.URL
	c := clover.New(clover.Config{
		URLs:  clover.URLs{Ecommerce: u, Tokenizer: u, Web: u, API: u, Checkout: u},
		AppID: opts.AppID, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		Retry: clover.RetryPolicy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
	})
	return &simBundle{sim: sim, srv: srv, c: c, a: clover.Auth{MerchantID: opts.MerchantID, AccessToken: opts.AccessToken}, opts: opts}
}

// token tokenizes a test card with the merchant's PAKMS key.
func (b *simBundle) token(t *testing.T, number string) string {
	t.Helper()
	tok, err := b.c.CreateToken(t.Context(), b.opts.PAKMSKey, clover.TokenParams{Card: &clover.CardDetails{
		Number: number, ExpMonth: "12", ExpYear: "2030", CVV: "123", AddressZip: "94041"}})
	if err != nil {
		t.Fatalf("tokenize: %v", err)
	}
	if !strings.HasPrefix(tok.ID, "clv_") {
		t.Fatalf("token id %q", tok.ID)
	}
	return tok.ID
}

// wantStatus fails unless err is a *clover.Error with the given status.
func wantStatus(t *testing.T, what string, err error, status int) *clover.Error {
	t.Helper()
	var e *clover.Error
	if !errors.As(err, &e) || e.Status != status {
		t.Fatalf("%s: err = %v, want a %d *clover.Error", what, err, status)
	}
	if clover.IsUnknownOutcome(err) {
		t.Errorf("%s: a definite %d reported as unknown outcome", what, status)
	}
	return e
}

func noLimits() cloversim.Options { return cloversim.Options{LimitsOff: true} }

func TestSimCharges(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx, a := t.Context(), b.a
	o := &clover.RequestOptions{ForwardedFor: "203.0.113.7"}

	tok := b.token(t, cardOK)
	ch, err := b.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 1500, Currency: "usd", Source: tok}, o)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Status != "succeeded" || !ch.Paid || !ch.Captured || ch.Amount != 1500 || ch.Source == nil || ch.Source.Last4 != "4242" {
		t.Errorf("charge = %+v", ch)
	}
	got, err := b.c.GetCharge(ctx, a, ch.ID)
	if err != nil || got.ID != ch.ID || got.Amount != 1500 {
		t.Errorf("GetCharge = %+v, %v", got, err)
	}
	list, err := b.c.ListCharges(ctx, a, clover.ChargeListParams{Limit: 10})
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != ch.ID {
		t.Errorf("ListCharges = %+v, %v", list, err)
	}

	_, err = b.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 1500, Currency: "usd", Source: tok}, o)
	if e := wantStatus(t, "token reuse", err, 400); e.Code != "token_already_used" || clover.IsDecline(err) {
		t.Errorf("token reuse: %+v", e)
	}

	_, err = b.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 700, Currency: "usd", Source: b.token(t, cardDecline)}, o)
	e := wantStatus(t, "decline", err, 402)
	if !clover.IsDecline(err) || e.Code != "card_declined" || e.ChargeID == "" {
		t.Errorf("decline: %+v", e)
	}

	_, err = b.c.GetCharge(ctx, a, "ZZZZZZZZZZZZZ")
	wantStatus(t, "unknown charge", err, 404)

	_, err = b.c.CaptureCharge(ctx, a, ch.ID, clover.CaptureParams{}, o)
	wantStatus(t, "capture of a sale", err, 400)

	no := false
	auth, err := b.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 2000, Currency: "usd", Source: b.token(t, cardOK), Capture: &no}, o)
	if err != nil || auth.Captured {
		t.Fatalf("authorize: %+v, %v", auth, err)
	}
	capd, err := b.c.CaptureCharge(ctx, a, auth.ID, clover.CaptureParams{Amount: 1200}, o)
	if err != nil || !capd.Captured {
		t.Errorf("capture: %+v, %v", capd, err)
	}

	re, err := b.c.CreateRefund(ctx, a, clover.RefundParams{Charge: ch.ID, Amount: 500}, nil)
	if err != nil || re.Amount != 500 || re.Charge != ch.ID || re.Status != "succeeded" {
		t.Fatalf("refund: %+v, %v", re, err)
	}
	gre, err := b.c.GetRefund(ctx, a, re.ID)
	if err != nil || gre.ID != re.ID {
		t.Errorf("GetRefund = %+v, %v", gre, err)
	}
	res, err := b.c.ListRefunds(ctx, a, ch.ID)
	if err != nil || len(res.Data) != 1 || res.Data[0].ID != re.ID {
		t.Errorf("ListRefunds = %+v, %v", res, err)
	}
	_, err = b.c.CreateRefund(ctx, a, clover.RefundParams{Charge: ch.ID, Amount: 1001}, nil)
	wantStatus(t, "over-refund", err, 400)
	_, err = b.c.GetRefund(ctx, a, "ZZZZZZZZZZZZZ")
	wantStatus(t, "unknown refund", err, 404)

	p, err := b.c.GetPayment(ctx, a, ch.ID)
	if err != nil || p.ID != ch.ID || p.Amount != 1500 || p.Refunds == nil || len(p.Refunds.Elements) != 1 {
		t.Errorf("GetPayment = %+v, %v", p, err)
	}
}

func TestSimOrders(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx, a := t.Context(), b.a
	rates, err := b.c.ListTaxRates(ctx, a)
	if err != nil || len(rates) == 0 {
		t.Fatalf("ListTaxRates = %v, %v", rates, err)
	}
	var tax clover.V3TaxRate
	for _, r := range rates {
		if r.Rate > 0 {
			tax = r
		}
	}
	ord, err := b.c.CreateOrder(ctx, a, clover.OrderParams{Currency: "usd", Email: "jdoe@example.com", Items: []clover.OrderItem{
		{Type: "sku", Quantity: 2, Amount: 1000, Currency: "usd", Description: "Valve", TaxRates: []clover.TaxRate{{Name: tax.Name, TaxRateUUID: tax.ID}}},
		{Type: "sku", Quantity: 1, Amount: 500, Currency: "usd", Description: "Labour"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ord.Status != "created" || ord.Amount != 2500 || ord.TaxAmount != 200 {
		t.Errorf("order = %+v (want amount 2500, tax 200 at %d)", ord, tax.Rate)
	}
	got, err := b.c.GetOrder(ctx, a, ord.ID)
	if err != nil || got.ID != ord.ID {
		t.Errorf("GetOrder = %+v, %v", got, err)
	}
	// cloversim answers "USD" as Clover's recorded orders do; the client
	// hands over lower case.
	if ord.Currency != "usd" || got.Currency != "usd" || got.Items[0].Currency != "usd" {
		t.Errorf("currencies %q %q %q, want usd", ord.Currency, got.Currency, got.Items[0].Currency)
	}
	paid, err := b.c.PayOrder(ctx, a, ord.ID, clover.PayOrderParams{Source: b.token(t, cardOK), Email: "jdoe@example.com"},
		&clover.RequestOptions{ForwardedFor: "203.0.113.7"})
	if err != nil || paid.Status != "paid" || paid.Charge == "" {
		t.Fatalf("PayOrder = %+v, %v", paid, err)
	}
	_, err = b.c.PayOrder(ctx, a, ord.ID, clover.PayOrderParams{Source: b.token(t, cardOK)}, withPayer(nil))
	if e := wantStatus(t, "order paid twice", err, 409); e.Code != "order_already_paid" {
		t.Errorf("paid twice: %+v", e)
	}
	v3, err := b.c.GetV3Order(ctx, a, ord.ID)
	if err != nil || v3.ID != ord.ID || v3.Payments == nil || len(v3.Payments.Elements) != 1 || v3.State != "LOCKED" || v3.Currency != "usd" {
		t.Errorf("GetV3Order = %+v, %v", v3, err)
	}
	// A v3 error is {"details","message"}: the details become the message.
	_, err = b.c.GetV3Order(ctx, a, "ZZZZZZZZZZZZZ")
	if e := wantStatus(t, "unknown v3 order", err, 404); e.Message != "Order with id ZZZZZZZZZZZZZ not found." {
		t.Errorf("v3 404 message %q", e.Message)
	}
	var sku string
	for _, it := range paid.Items {
		if it.Type == "sku" && it.Description == "Labour" {
			sku = it.Parent
		}
	}
	ret, err := b.c.ReturnOrder(ctx, a, ord.ID, clover.ReturnParams{Items: []clover.ReturnItem{{Parent: sku}}}, nil)
	if err != nil || ret.Status != "returned" || ret.ID != ord.ID || ret.AmountReturned != 500 || ret.Currency != "usd" {
		t.Errorf("ReturnOrder = %+v, %v", ret, err)
	}
	_, err = b.c.GetOrder(ctx, a, "ZZZZZZZZZZZZZ")
	wantStatus(t, "unknown order", err, 404)
	_, err = b.c.PayOrder(ctx, a, "ZZZZZZZZZZZZZ", clover.PayOrderParams{Source: b.token(t, cardOK)}, withPayer(nil))
	wantStatus(t, "pay unknown order", err, 404)
}

func TestSimCustomers(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx, a := t.Context(), b.a
	cu, err := b.c.CreateCustomer(ctx, a, clover.CustomerParams{Email: "jdoe@example.com", Name: "Joe Doe", Source: b.token(t, cardOK)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cu.Email != "jdoe@example.com" || cu.Sources == nil || len(cu.Sources.Data) != 1 {
		t.Fatalf("customer = %+v", cu)
	}
	got, err := b.c.GetCustomer(ctx, a, cu.ID)
	if err != nil || got.ID != cu.ID {
		t.Errorf("GetCustomer = %+v, %v", got, err)
	}
	up, err := b.c.UpdateCustomer(ctx, a, cu.ID, clover.CustomerParams{Phone: "4085551858"}, nil)
	if err != nil || up.Phone != "4085551858" {
		t.Errorf("UpdateCustomer = %+v, %v", up, err)
	}
	ch, err := b.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 300, Currency: "usd", Source: cu.ID,
		StoredCredentials: &clover.StoredCredentials{Sequence: "SUBSEQUENT", Initiator: "MERCHANT"}}, withPayer(nil))
	if err != nil || ch.Status != "succeeded" {
		t.Errorf("charge card on file = %+v, %v", ch, err)
	}
	del, err := b.c.DeleteCustomerSource(ctx, a, cu.ID, cu.Sources.Data[0])
	if err != nil || !del.Deleted || del.ID != cu.Sources.Data[0] {
		t.Errorf("DeleteCustomerSource = %+v, %v", del, err)
	}
	_, err = b.c.DeleteCustomerSource(ctx, a, cu.ID, cu.Sources.Data[0])
	wantStatus(t, "unknown card", err, 404)
	_, err = b.c.GetCustomer(ctx, a, "ZZZZZZZZZZZZZ")
	wantStatus(t, "unknown customer", err, 404)
	_, err = b.c.CreateCustomer(ctx, a, clover.CustomerParams{Email: "not-an-email"}, nil)
	wantStatus(t, "bad email", err, 400)
}

func TestSimKeysAndAuth(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx := t.Context()
	k, err := b.c.GetPAKMSKey(ctx, b.a)
	if err != nil || k.APIAccessKey != b.opts.PAKMSKey || !k.Active {
		t.Errorf("GetPAKMSKey = %+v, %v", k, err)
	}
	m, err := b.c.GetMerchant(ctx, b.a)
	if err != nil || m.ID != b.a.MerchantID || m.Name == "" {
		t.Errorf("GetMerchant = %+v, %v", m, err)
	}
	_, err = b.c.CreateToken(ctx, "not-a-key", clover.TokenParams{Card: &clover.CardDetails{Number: cardOK, ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
	if !clover.IsUnauthorized(err) {
		t.Errorf("bad PAKMS key: %v, want 401", err)
	}
	_, err = b.c.GetMerchant(ctx, clover.Auth{MerchantID: b.a.MerchantID, AccessToken: "dead-token"})
	if !clover.IsUnauthorized(err) {
		t.Errorf("dead token: %v, want 401", err)
	}
	if strings.Contains(err.Error(), "dead-token") {
		t.Errorf("error %q holds the token", err)
	}
	tr, err := b.c.CreateTaxRate(ctx, b.a, clover.V3TaxRate{Name: "City Tax", Rate: 250_000})
	if err != nil || tr.ID == "" || tr.Rate != 250_000 {
		t.Fatalf("CreateTaxRate = %+v, %v", tr, err)
	}
	rates, err := b.c.ListTaxRates(ctx, b.a)
	found := false
	for _, r := range rates {
		found = found || r.ID == tr.ID
	}
	if err != nil || !found {
		t.Errorf("ListTaxRates = %+v, %v; want %s", rates, err, tr.ID)
	}
}

// consent plays the merchant clicking Accept on cloversim's consent page and
// returns the callback's query.
func consent(t *testing.T, b *simBundle, p clover.AuthorizeParams) url.Values {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(b.c.AuthorizeURL(p), url.Values{"merchant_id": {b.a.MerchantID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("consent: %d %v", resp.StatusCode, err)
	}
	return loc.Query()
}

func TestSimOAuth(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx := t.Context()
	verifier, challenge := clover.NewPKCE()
	q := consent(t, b, clover.AuthorizeParams{RedirectURI: "https://crm.example/cb", State: "st-1", CodeChallenge: challenge})
	if q.Get("state") != "st-1" || q.Get("merchant_id") != b.a.MerchantID || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := b.c.ExchangeCode(ctx, q.Get("code"), verifier)
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.AccessTokenExpiration == 0 {
		t.Fatalf("ExchangeCode = %+v, %v", tok, err)
	}
	if _, err := b.c.GetMerchant(ctx, clover.Auth{MerchantID: b.a.MerchantID, AccessToken: tok.AccessToken}); err != nil {
		t.Errorf("new access token refused: %v", err)
	}
	_, err = b.c.ExchangeCode(ctx, q.Get("code"), verifier)
	wantStatus(t, "code reuse", err, 400)

	fresh, err := b.c.RefreshToken(ctx, tok.RefreshToken)
	if err != nil || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("RefreshToken = %+v, %v", fresh, err)
	}
	_, err = b.c.RefreshToken(ctx, tok.RefreshToken)
	var e *clover.Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 401 || clover.IsUnknownOutcome(err) {
		t.Errorf("spent refresh token: %v, want a definite 400/401", err)
	}

	// High-trust: no PKCE, the client secret proves the app.
	q = consent(t, b, clover.AuthorizeParams{RedirectURI: "https://crm.example/cb", State: "st-2"})
	if tok, err := b.c.ExchangeCode(ctx, q.Get("code"), ""); err != nil || tok.AccessToken == "" {
		t.Errorf("high-trust ExchangeCode = %+v, %v", tok, err)
	}
}

func TestSimRecurring(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx, a := t.Context(), b.a
	pl, err := b.c.CreatePlan(ctx, a, clover.PlanParams{Name: "Monthly service", Amount: 4999, Interval: "MONTH", IntervalCount: 1}, nil)
	if err != nil || pl.ID == "" || !pl.Active || pl.Amount != 4999 {
		t.Fatalf("CreatePlan = %+v, %v", pl, err)
	}
	if got, err := b.c.GetPlan(ctx, a, pl.ID); err != nil || got.Name != "Monthly service" {
		t.Errorf("GetPlan = %+v, %v", got, err)
	}
	if got, err := b.c.ListPlans(ctx, a); err != nil || len(got) != 1 {
		t.Errorf("ListPlans = %+v, %v", got, err)
	}
	if got, err := b.c.UpdatePlan(ctx, a, pl.ID, clover.PlanParams{Name: "Monthly care"}); err != nil || got.Name != "Monthly care" {
		t.Errorf("UpdatePlan = %+v, %v", got, err)
	}
	cu, err := b.c.CreateCustomer(ctx, a, clover.CustomerParams{Email: "sub@example.com", Source: b.token(t, cardOK)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := b.c.CreateSubscription(ctx, a, pl.ID, clover.SubscriptionParams{CustomerID: cu.ID, CollectionMethod: "CHARGE_AUTOMATICALLY"}, nil)
	if err != nil || sub.ID == "" || !sub.Active || sub.CustomerUUID != cu.ID {
		t.Fatalf("CreateSubscription = %+v, %v", sub, err)
	}
	if got, err := b.c.GetSubscription(ctx, a, sub.ID); err != nil || got.ID != sub.ID {
		t.Errorf("GetSubscription = %+v, %v", got, err)
	}
	if got, err := b.c.ListSubscriptions(ctx, a); err != nil || len(got) != 1 {
		t.Errorf("ListSubscriptions = %+v, %v", got, err)
	}
	if got, err := b.c.UpdateSubscription(ctx, a, sub.ID, clover.SubscriptionParams{Note: "gate code 1234"}); err != nil || got.Note != "gate code 1234" {
		t.Errorf("UpdateSubscription = %+v, %v", got, err)
	}
	if got, err := b.c.CancelSubscription(ctx, a, sub.ID); err != nil || got.Active {
		t.Errorf("CancelSubscription = %+v, %v", got, err)
	}
	_, err = b.c.GetPlan(ctx, a, "ZZZZZZZZZZZZZ")
	wantStatus(t, "unknown plan", err, 404)
	_, err = b.c.CreateSubscription(ctx, a, pl.ID, clover.SubscriptionParams{CollectionMethod: "CHARGE_AUTOMATICALLY"}, nil)
	wantStatus(t, "subscription without customer", err, 400)
}

// TestSimDeleteSubscriptionAndPlan: DELETE of a subscription answers it
// inactive with deletedTime and it is gone; a plan cannot be deleted while
// a subscription of it is active, and can once none is.
func TestSimDeleteSubscriptionAndPlan(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	ctx, a := t.Context(), b.a
	pl, err := b.c.CreatePlan(ctx, a, clover.PlanParams{Name: "Weekly mow", Amount: 3000, Interval: "WEEK", IntervalCount: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := b.c.CreateCustomer(ctx, a, clover.CustomerParams{Email: "mow@example.com", Source: b.token(t, cardOK)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := b.c.CreateSubscription(ctx, a, pl.ID, clover.SubscriptionParams{CustomerID: cu.ID, CollectionMethod: "CHARGE_AUTOMATICALLY"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.c.DeletePlan(ctx, a, pl.ID)
	wantStatus(t, "delete a plan with an active subscription", err, 400)
	del, err := b.c.DeleteSubscription(ctx, a, sub.ID)
	if err != nil || del.ID != sub.ID || del.Active || del.DeletedTime == "" {
		t.Fatalf("DeleteSubscription = %+v, %v", del, err)
	}
	_, err = b.c.GetSubscription(ctx, a, sub.ID)
	wantStatus(t, "deleted subscription", err, 404)
	_, err = b.c.DeleteSubscription(ctx, a, sub.ID)
	wantStatus(t, "delete twice", err, 404)
	if got, err := b.c.ListSubscriptions(ctx, a); err != nil || len(got) != 0 {
		t.Errorf("ListSubscriptions after delete = %+v, %v", got, err)
	}
	dp, err := b.c.DeletePlan(ctx, a, pl.ID)
	if err != nil || dp.ID != pl.ID || dp.DeletedTime == "" {
		t.Fatalf("DeletePlan = %+v, %v", dp, err)
	}
	_, err = b.c.GetPlan(ctx, a, pl.ID)
	wantStatus(t, "deleted plan", err, 404)
}

// TestSimCheckout creates a Hosted Checkout session with cloversim sending
// its times as ISO-8601 strings (the default) and as milliseconds: the
// client decodes both to the same 15-minute window.
func TestSimCheckout(t *testing.T) {
	t.Parallel()
	for name, millis := range map[string]bool{"iso-8601": false, "millis": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := noLimits()
			o.Shapes.CheckoutTimesMillis = millis
			b := setupSim(t, o)
			s, err := b.c.CreateCheckout(t.Context(), b.a, clover.CheckoutParams{
				Customer:     &clover.CheckoutCustomer{Email: "jdoe@example.com"},
				ShoppingCart: clover.CheckoutCart{LineItems: []clover.CheckoutLineItem{{Name: "Visit", Price: 5000, UnitQty: 1}}},
				RedirectURLs: &clover.RedirectURLs{Success: "https://crm.example/ok", Failure: "https://crm.example/fail", Cancel: "https://crm.example/cancel"},
			}, nil)
			if err != nil || s.Href == "" || s.CheckoutSessionID == "" {
				t.Fatalf("CreateCheckout = %+v, %v", s, err)
			}
			if s.CreatedTime == 0 || s.ExpirationTime.Time().Sub(s.CreatedTime.Time()) != 15*time.Minute {
				t.Errorf("times: created %v, expires %v", s.CreatedTime.Time(), s.ExpirationTime.Time())
			}
			_, err = b.c.CreateCheckout(t.Context(), b.a, clover.CheckoutParams{}, nil)
			wantStatus(t, "empty cart", err, 400)
		})
	}
}

// ledger reads cloversim's ledger over its admin endpoint.
func ledger(t *testing.T, b *simBundle) []cloversim.LedgerEntry {
	t.Helper()
	resp, err := http.Get(b.srv.URL + "/_sim/ledger?merchant_id=" + b.a.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Entries []cloversim.LedgerEntry `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Entries
}

// TestSimTimeoutAfterCommitChargesOnce: the first attempt is committed by
// Clover but never answered; the retry carries the same key and gets the
// stored charge back; the ledger shows one charge.
func TestSimTimeoutAfterCommitChargesOnce(t *testing.T) {
	t.Parallel()
	b := setupSim(t, cloversim.Options{LimitsOff: true, Faults: cloversim.Faults{TimeoutAfterCommitRate: 1}})
	b.c.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	tok := b.token(t, cardOK)
	var attempts []clover.CallInfo
	b.c.OnCall = func(ci clover.CallInfo) { attempts = append(attempts, ci) }
	b.c.Retry.Sleep = func(ctx context.Context, _ time.Duration) error {
		b.sim.SetFaults(cloversim.Faults{}) // Clover recovers before the retry
		return ctx.Err()
	}
	ch, err := b.c.CreateCharge(t.Context(), b.a, clover.ChargeParams{Amount: 4200, Currency: "usd", Source: tok}, withPayer(nil))
	if err != nil {
		t.Fatalf("charge: %v", err)
	}
	if len(attempts) != 2 || attempts[0].Status != 0 || attempts[0].ErrCode != "timeout" || attempts[1].Status != 200 ||
		attempts[0].IdempotencyKey != attempts[1].IdempotencyKey {
		t.Errorf("attempts = %+v, want a timeout then a 200 with the same key", attempts)
	}
	var charges []cloversim.LedgerEntry
	for _, e := range ledger(t, b) {
		if e.Kind == cloversim.KindCharge {
			charges = append(charges, e)
		}
	}
	if len(charges) != 1 || charges[0].ChargeID != ch.ID || charges[0].Amount != 4200 {
		t.Errorf("ledger charges = %+v, want exactly one: %s", charges, ch.ID)
	}
}

// TestSimTimeoutWithoutRecoveryIsUnknown: every attempt times out after
// commit; the client reports an unknown outcome, and a later reconciliation
// with the same key finds the one charge.
func TestSimTimeoutWithoutRecoveryIsUnknown(t *testing.T) {
	t.Parallel()
	b := setupSim(t, cloversim.Options{LimitsOff: true, Faults: cloversim.Faults{TimeoutAfterCommitRate: 1}})
	b.c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
	b.c.Retry.MaxAttempts = 2
	tok := b.token(t, cardOK)
	o := withPayer(&clover.RequestOptions{IdempotencyKey: "6f1c7c0e-4a43-4f0e-9d57-0f4c8f3c9a10"})
	p := clover.ChargeParams{Amount: 999, Currency: "usd", Source: tok}
	_, err := b.c.CreateCharge(t.Context(), b.a, p, o)
	if !clover.IsUnknownOutcome(err) {
		t.Fatalf("err = %v, want unknown outcome", err)
	}
	b.sim.SetFaults(cloversim.Faults{})
	ch, err := b.c.CreateCharge(t.Context(), b.a, p, o)
	if err != nil || ch.Amount != 999 {
		t.Fatalf("reconcile: %+v, %v", ch, err)
	}
	if n := len(ledger(t, b)); n != 1 {
		t.Errorf("ledger has %d entries, want 1", n)
	}
}

// TestSimGovernorPreventsRateLimits: 50 goroutines share one token against
// cloversim with Clover's limits on; a real governor keeps every call
// inside the budget, so none draws a 429.
func TestSimGovernorPreventsRateLimits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("takes a few seconds of real rate limiting")
	}
	b := setupSim(t, cloversim.Options{})
	b.c.Governor = governor.NewLocal(clover.DefaultBudget)
	b.c.Retry.MaxAttempts = 1 // a 429 must surface, not be retried away
	var limited, ok atomic.Int32
	b.c.OnCall = func(ci clover.CallInfo) {
		if ci.Status == http.StatusTooManyRequests {
			limited.Add(1)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := b.c.GetPAKMSKey(ctx, b.a); err != nil {
				t.Logf("call: %v", err)
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	if limited.Load() != 0 || ok.Load() != 50 {
		t.Errorf("%d calls drew 429 through governor.NewLocal(DefaultBudget), %d of 50 succeeded", limited.Load(), ok.Load())
	}
}

// TestSimWithoutGovernorDrawsRateLimits proves the test above can fail:
// the same burst without a governor trips cloversim's limits.
func TestSimWithoutGovernorDrawsRateLimits(t *testing.T) {
	t.Parallel()
	b := setupSim(t, cloversim.Options{})
	b.c.Retry.MaxAttempts = 1
	var limited atomic.Int32
	b.c.OnCall = func(ci clover.CallInfo) {
		if ci.Status == http.StatusTooManyRequests {
			limited.Add(1)
		}
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _, _ = b.c.GetPAKMSKey(t.Context(), b.a) })
	}
	wg.Wait()
	if limited.Load() == 0 {
		t.Error("no 429 without a governor: cloversim's limits are off or the burst too small")
	}
}
