package clover_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// TestRoutes checks every method's HTTP method, path, query and headers
// against CLOVER.md.
func TestRoutes(t *testing.T) {
	t.Parallel()
	type route struct {
		name, method, path, query string
		merchantHeader            bool
		call                      func(ctx context.Context, c *clover.Client) error
	}
	a := auth
	o := &clover.RequestOptions{IdempotencyKey: "k1", ForwardedFor: "198.51.100.1"}
	e := func(_ any, err error) error { return err }
	routes := []route{
		{"CreateCharge", "POST", "/v1/charges", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateCharge(ctx, a, clover.ChargeParams{}, o))
		}},
		{"GetCharge", "GET", "/v1/charges/CH%2F1", "", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetCharge(ctx, a, "CH/1")) }},
		{"ListCharges", "GET", "/v1/charges", "created.gte=5&created.lt=9&customer=CU&ending_before=EB&limit=50&starting_after=SA", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.ListCharges(ctx, a, clover.ChargeListParams{Limit: 50, StartingAfter: "SA", EndingBefore: "EB", CreatedGTE: 5, CreatedLT: 9, Customer: "CU"}))
		}},
		{"CaptureCharge", "POST", "/v1/charges/CH1/capture", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CaptureCharge(ctx, a, "CH1", clover.CaptureParams{}, o))
		}},
		{"CreateOrder", "POST", "/v1/orders", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateOrder(ctx, a, clover.OrderParams{}, o))
		}},
		{"GetOrder", "GET", "/v1/orders/OR1", "", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetOrder(ctx, a, "OR1")) }},
		{"PayOrder", "POST", "/v1/orders/OR1/pay", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.PayOrder(ctx, a, "OR1", clover.PayOrderParams{}, o))
		}},
		{"ReturnOrder", "POST", "/v1/orders/OR1/returns", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.ReturnOrder(ctx, a, "OR1", clover.ReturnParams{}, o))
		}},
		{"CreateCustomer", "POST", "/v1/customers", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateCustomer(ctx, a, clover.CustomerParams{}, o))
		}},
		{"GetCustomer", "GET", "/v1/customers/CU1", "", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetCustomer(ctx, a, "CU1")) }},
		{"UpdateCustomer", "PUT", "/v1/customers/CU1", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.UpdateCustomer(ctx, a, "CU1", clover.CustomerParams{}, o))
		}},
		{"DeleteCustomerSource", "DELETE", "/v1/customers/CU1/sources/CA1", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.DeleteCustomerSource(ctx, a, "CU1", "CA1"))
		}},
		{"CreateRefund", "POST", "/v1/refunds", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateRefund(ctx, a, clover.RefundParams{}, o))
		}},
		{"GetRefund", "GET", "/v1/refunds/RF1", "", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetRefund(ctx, a, "RF1")) }},
		{"ListRefunds", "GET", "/v1/refunds", "charge=CH1", false, func(ctx context.Context, c *clover.Client) error { return e(c.ListRefunds(ctx, a, "CH1")) }},
		{"GetPAKMSKey", "GET", "/pakms/apikey", "", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetPAKMSKey(ctx, a)) }},
		{"CreatePlan", "POST", "/recurring/v1/plans", "", true, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreatePlan(ctx, a, clover.PlanParams{}, o))
		}},
		{"GetPlan", "GET", "/recurring/v1/plans/PL1", "", true, func(ctx context.Context, c *clover.Client) error { return e(c.GetPlan(ctx, a, "PL1")) }},
		{"UpdatePlan", "PUT", "/recurring/v1/plans/PL1", "", true, func(ctx context.Context, c *clover.Client) error {
			return e(c.UpdatePlan(ctx, a, "PL1", clover.PlanParams{}))
		}},
		{"CreateSubscription", "POST", "/recurring/v1/plans/PL1/subscriptions", "", true, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateSubscription(ctx, a, "PL1", clover.SubscriptionParams{}, o))
		}},
		{"GetSubscription", "GET", "/recurring/v1/subscriptions/SU1", "", true, func(ctx context.Context, c *clover.Client) error { return e(c.GetSubscription(ctx, a, "SU1")) }},
		{"UpdateSubscription", "PUT", "/recurring/v1/subscriptions/SU1", "", true, func(ctx context.Context, c *clover.Client) error {
			return e(c.UpdateSubscription(ctx, a, "SU1", clover.SubscriptionParams{}))
		}},
		{"CancelSubscription", "PUT", "/recurring/v1/subscriptions/SU1", "", true, func(ctx context.Context, c *clover.Client) error { return e(c.CancelSubscription(ctx, a, "SU1")) }},
		{"DeleteSubscription", "DELETE", "/recurring/v1/subscriptions/SU1", "", true, func(ctx context.Context, c *clover.Client) error { return e(c.DeleteSubscription(ctx, a, "SU1")) }},
		{"DeletePlan", "DELETE", "/recurring/v1/plans/PL1", "", true, func(ctx context.Context, c *clover.Client) error { return e(c.DeletePlan(ctx, a, "PL1")) }},
		{"CreateCheckout", "POST", "/invoicingcheckoutservice/v1/checkouts", "", true, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateCheckout(ctx, a, clover.CheckoutParams{}, o))
		}},
		{"GetMerchant", "GET", "/v3/merchants/MERCHANT12345", "expand=address", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetMerchant(ctx, a)) }},
		{"GetPayment", "GET", "/v3/merchants/MERCHANT12345/payments/PA1", "expand=refunds", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetPayment(ctx, a, "PA1")) }},
		{"GetV3Order", "GET", "/v3/merchants/MERCHANT12345/orders/OR1", "expand=payments", false, func(ctx context.Context, c *clover.Client) error { return e(c.GetV3Order(ctx, a, "OR1")) }},
		{"CreateTaxRate", "POST", "/v3/merchants/MERCHANT12345/tax_rates", "", false, func(ctx context.Context, c *clover.Client) error {
			return e(c.CreateTaxRate(ctx, a, clover.V3TaxRate{Name: "x"}))
		}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sequence(answer(200, `{}`)))
			if err := rt.call(t.Context(), b.c); err != nil {
				t.Fatal(err)
			}
			r := b.reqs[0]
			if r.Method != rt.method || r.URL.EscapedPath() != rt.path || r.URL.RawQuery != rt.query {
				t.Errorf("%s %s?%s, want %s %s?%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, rt.method, rt.path, rt.query)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("User-Agent"); got != "paybridge" {
				t.Errorf("User-Agent = %q", got)
			}
			if got := r.Header.Get("X-Clover-Merchant-Id"); (got == auth.MerchantID) != rt.merchantHeader {
				t.Errorf("X-Clover-Merchant-Id = %q, want present=%v", got, rt.merchantHeader)
			}
			if rt.method == "GET" {
				if r.Header.Get("Idempotency-Key") != "" || len(b.bodies[0]) != 0 {
					t.Error("GET carries an idempotency key or body")
				}
				return
			}
			if r.Header.Get("Idempotency-Key") == "" {
				t.Error("write without idempotency-key")
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" && len(b.bodies[0]) > 0 {
				t.Errorf("Content-Type = %q", got)
			}
			if rt.method == "POST" && !json.Valid(b.bodies[0]) {
				t.Errorf("body %q is not JSON", b.bodies[0])
			}
		})
	}
}

func TestListShapes(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/recurring/v1/plans":
			answer(200, `[{"id":"P1","name":"Gold","amount":100,"interval":"MONTH","intervalCount":1,"active":true}]`)(w)
		case "/recurring/v1/subscriptions":
			answer(200, `[{"id":"S1","customerUuid":"C1","active":true}]`)(w)
		default:
			answer(200, `{"elements":[{"id":"T1","name":"Sales Tax","rate":1000000,"isDefault":true}]}`)(w)
		}
	})
	plans, err := b.c.ListPlans(t.Context(), auth)
	if err != nil || len(plans) != 1 || plans[0].ID != "P1" || plans[0].Interval != "MONTH" {
		t.Errorf("ListPlans = %+v, %v", plans, err)
	}
	subs, err := b.c.ListSubscriptions(t.Context(), auth)
	if err != nil || len(subs) != 1 || subs[0].CustomerUUID != "C1" {
		t.Errorf("ListSubscriptions = %+v, %v", subs, err)
	}
	rates, err := b.c.ListTaxRates(t.Context(), auth)
	if err != nil || len(rates) != 1 || rates[0].Rate != 1_000_000 || !rates[0].IsDefault {
		t.Errorf("ListTaxRates = %+v, %v", rates, err)
	}
	if b.reqs[2].URL.Path != "/v3/merchants/MERCHANT12345/tax_rates" {
		t.Errorf("ListTaxRates path %s", b.reqs[2].URL.Path)
	}
}

func TestCancelSubscriptionSendsActiveFalse(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, `{"id":"S1","active":false}`)))
	s, err := b.c.CancelSubscription(t.Context(), auth, "S1")
	if err != nil || s.Active {
		t.Fatalf("sub %+v err %v", s, err)
	}
	if got := string(b.bodies[0]); got != `{"active":false}` {
		t.Errorf("body = %s, want {\"active\":false}", got)
	}
}

func TestEmptyIDsRefusedLocally(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, `{}`)))
	ctx := t.Context()
	errs := []error{}
	add := func(_ any, err error) { errs = append(errs, err) }
	add(b.c.GetCharge(ctx, auth, ""))
	add(b.c.CaptureCharge(ctx, auth, "", clover.CaptureParams{}, nil))
	add(b.c.PayOrder(ctx, auth, "", clover.PayOrderParams{}, nil))
	add(b.c.DeleteCustomerSource(ctx, auth, "CU", ""))
	add(b.c.GetMerchant(ctx, clover.Auth{AccessToken: "x"}))
	add(b.c.CreateToken(ctx, "k", clover.TokenParams{}))
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d: no error", i)
		}
	}
	if b.requests() != 0 {
		t.Errorf("requests = %d, want 0", b.requests())
	}
}

// TestChargesNeedForwardedFor: CreateCharge and PayOrder refuse to send a
// request without a valid payer address (Clover refuses those, CLOVER.md
// §13.1), with ErrNoForwardedFor, and nothing reaches the server.
func TestChargesNeedForwardedFor(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK)))
	ctx := t.Context()
	p := clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_1TSTabc"}
	for _, o := range []*clover.RequestOptions{nil, {IdempotencyKey: "k"}, {ForwardedFor: "payer"}, {ForwardedFor: "203.0.113.7, 10.0.0.1"}} {
		if _, err := b.c.CreateCharge(ctx, auth, p, o); !errors.Is(err, clover.ErrNoForwardedFor) || clover.IsUnknownOutcome(err) {
			t.Errorf("CreateCharge with %+v: err %v, want ErrNoForwardedFor", o, err)
		}
		if _, err := b.c.PayOrder(ctx, auth, "OR1", clover.PayOrderParams{Source: "clv_1TSTabc"}, o); !errors.Is(err, clover.ErrNoForwardedFor) {
			t.Errorf("PayOrder with %+v: err %v, want ErrNoForwardedFor", o, err)
		}
	}
	if b.requests() != 0 {
		t.Fatalf("requests = %d, want 0", b.requests())
	}
	if _, err := b.c.CreateCharge(ctx, auth, p, &clover.RequestOptions{ForwardedFor: "2001:db8::7"}); err != nil {
		t.Fatal(err)
	}
	if got := b.reqs[0].Header.Get("X-Forwarded-For"); got != "2001:db8::7" {
		t.Fatalf("x-forwarded-for sent = %q", got)
	}
}

func TestTokenizerAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, `{"id":"clv_1TSTabc","object":"token","card":{"last4":"4242","brand":"VISA"}}`)))
	tok, err := b.c.CreateToken(t.Context(), "pakms-abc", clover.TokenParams{Card: &clover.CardDetails{Number: "4242424242424242", ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
	if err != nil || tok.ID != "clv_1TSTabc" || tok.Card.Last4 != "4242" {
		t.Fatalf("token %+v err %v", tok, err)
	}
	r := b.reqs[0]
	if r.Method != "POST" || r.URL.Path != "/v1/tokens" || r.Header.Get("Apikey") != "pakms-abc" || r.Header.Get("Authorization") != "" {
		t.Errorf("%s %s apikey=%q authorization=%q", r.Method, r.URL.Path, r.Header.Get("Apikey"), r.Header.Get("Authorization"))
	}
	var body clover.TokenParams
	if err := json.Unmarshal(b.bodies[0], &body); err != nil || body.Card.Number != "4242424242424242" {
		t.Errorf("body %s", b.bodies[0])
	}
}

func TestBaseURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env                                      clover.Environment
		region                                   clover.Region
		ecommerce, tokenizer, web, api, checkout string
	}{
		{"sandbox", "na", "https://scl-sandbox.dev.clover.com", "https://token-sandbox.dev.clover.com", "https://sandbox.dev.clover.com", "https://apisandbox.dev.clover.com", "https://checkout.sandbox.dev.clover.com"},
		{"sandbox", "eu", "https://scl-sandbox.dev.clover.com", "https://token-sandbox.dev.clover.com", "https://sandbox.dev.clover.com", "https://apisandbox.dev.clover.com", "https://checkout.sandbox.dev.clover.com"},
		{"sandbox", "la", "https://scl-sandbox.dev.clover.com", "https://token-sandbox.dev.clover.com", "https://sandbox.dev.clover.com", "https://apisandbox.dev.clover.com", "https://checkout.sandbox.dev.clover.com"},
		{"production", "na", "https://scl.clover.com", "https://token.clover.com", "https://www.clover.com", "https://api.clover.com", "https://checkout.clover.com"},
		{"production", "eu", "https://scl.eu.clover.com", "https://token.eu.clover.com", "https://www.eu.clover.com", "https://api.eu.clover.com", "https://checkout.eu.clover.com"},
		{"production", "la", "https://scl.la.clover.com", "https://token.la.clover.com", "https://www.la.clover.com", "https://api.la.clover.com", "https://checkout.la.clover.com"},
	}
	for _, tt := range tests {
		t.Run(string(tt.env)+"/"+string(tt.region), func(t *testing.T) {
			t.Parallel()
			u, err := clover.BaseURLs(tt.env, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			want := clover.URLs{Ecommerce: tt.ecommerce, Tokenizer: tt.tokenizer, Web: tt.web, API: tt.api, Checkout: tt.checkout}
			if u != want {
				t.Errorf("BaseURLs = %+v\nwant %+v", u, want)
			}
			if u.SDKURL() != tt.checkout+"/sdk.js" {
				t.Errorf("SDKURL = %s", u.SDKURL())
			}
		})
	}
	for _, bad := range [][2]string{{"staging", "na"}, {"production", "us"}, {"", ""}, {"Sandbox", "na"}} {
		if _, err := clover.BaseURLs(clover.Environment(bad[0]), clover.Region(bad[1])); err == nil {
			t.Errorf("BaseURLs(%q, %q): no error", bad[0], bad[1])
		}
	}
}

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	c := clover.New(clover.Config{URLs: clover.URLs{Web: "https://www.example"}, ClientID: "CID"})
	got, err := url.Parse(c.AuthorizeURL(clover.AuthorizeParams{RedirectURI: "https://pb.example/oauth/callback?x=1", State: "st&1", CodeChallenge: "CH", MerchantID: "M1"}))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"client_id": {"CID"}, "redirect_uri": {"https://pb.example/oauth/callback?x=1"}, "state": {"st&1"},
		"code_challenge": {"CH"}, "code_challenge_method": {"S256"}, "merchant_id": {"M1"}}
	if got.Scheme+"://"+got.Host+got.Path != "https://www.example/oauth/v2/authorize" || got.Query().Encode() != want.Encode() {
		t.Errorf("AuthorizeURL = %s", got)
	}
	high, _ := url.Parse(c.AuthorizeURL(clover.AuthorizeParams{RedirectURI: "https://r", State: "s"}))
	if q := high.Query(); q.Has("code_challenge") || q.Has("code_challenge_method") || q.Has("merchant_id") {
		t.Errorf("high-trust URL carries PKCE or merchant: %s", high)
	}
}

func TestNewPKCE(t *testing.T) {
	t.Parallel()
	v1, c1 := clover.NewPKCE()
	v2, _ := clover.NewPKCE()
	sum := sha256.Sum256([]byte(v1))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); c1 != want {
		t.Errorf("challenge %q, want S256(verifier) %q", c1, want)
	}
	if v1 == v2 || len(v1) < 43 {
		t.Errorf("verifiers %q %q: want fresh, ≥43 chars", v1, v2)
	}
}

func TestExchangeCodeBodies(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, `{"access_token":"AT","access_token_expiration":1677875430,"refresh_token":"RT","refresh_token_expiration":1709497830}`)))
	tok, err := b.c.ExchangeCode(t.Context(), "CODE", "")
	if err != nil || tok.AccessToken != "AT" || tok.RefreshToken != "RT" || tok.AccessTokenExpiration != 1677875430 {
		t.Fatalf("token %+v err %v", tok, err)
	}
	if _, err := b.c.ExchangeCode(t.Context(), "CODE2", "VERIFIER"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.RefreshToken(t.Context(), "RT"); err != nil {
		t.Fatal(err)
	}
	want := []struct{ path, body string }{
		{"/oauth/v2/token", `{"client_id":"CLIENT","client_secret":"` + testSecret + `","code":"CODE"}`},
		{"/oauth/v2/token", `{"client_id":"CLIENT","code":"CODE2","code_verifier":"VERIFIER"}`},
		{"/oauth/v2/refresh", `{"client_id":"CLIENT","refresh_token":"RT"}`},
	}
	for i, w := range want {
		if b.reqs[i].Method != "POST" || b.reqs[i].URL.Path != w.path || strings.TrimSpace(string(b.bodies[i])) != w.body {
			t.Errorf("call %d: %s %s %s, want POST %s %s", i, b.reqs[i].Method, b.reqs[i].URL.Path, b.bodies[i], w.path, w.body)
		}
		if b.reqs[i].Header.Get("Authorization") != "" {
			t.Errorf("call %d sends Authorization", i)
		}
	}
}
