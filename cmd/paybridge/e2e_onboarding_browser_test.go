package main

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/paybridge/paybridge/internal/browsertest"
)

// TestOnboardingBrowser is the whole connect in Debian's Chromium: the
// CRM's connect link → paybridge's connect page → cloversim's consent page
// → paybridge's callback → the CRM's return URL, where the CRM redeems the
// hand-off code and calls whoami with the new key.
func TestOnboardingBrowser(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	b := browsertest.Start(t, browsertest.Options{})
	mid, _, _ := o.m.Sim.AddMerchant("Browser Bakery")

	var integrationID string
	// The CRM: its return URL redeems the code server-side and shows who
	// the key is.
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("code")
		body := strings.NewReader(fmt.Sprintf(`{"code":%q}`, code))
		req, _ := http.NewRequest("POST", o.m.URL+"/v1/integrations/"+integrationID+"/handoff", body)
		req.Header.Set("Authorization", "Bearer "+o.secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var ho struct {
			APIKey string `json:"api_key"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&ho)
		resp.Body.Close()
		req, _ = http.NewRequest("GET", o.m.URL+"/v1/auth/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+ho.APIKey)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var who map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&who)
		resp.Body.Close()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><p id="whoami">%d merchant=%s integration=%s state=%s</p>`, resp.StatusCode,
			html.EscapeString(fmt.Sprint(who["merchant_id"])), html.EscapeString(fmt.Sprint(who["integration_id"])),
			html.EscapeString(r.URL.Query().Get("state")))
	}))
	t.Cleanup(crm.Close)
	integrationID, _ = o.integration("crm-browser", crm.URL+"/paybridge/return")

	page := o.m.URL + "/connect/" + integrationID + "?lang=fr&crm_state=tenant-42"
	b.Do("connect page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#connect")))
	if s := browsertest.Value(b, "button", chromedp.Text(chromedp.CSS("#connect"))); !strings.Contains(s, "Se connecter avec Clover") {
		t.Fatalf("French connect button = %q", s)
	}
	b.State("onboarding-connect-fr") // screenshots at desktop and 375 px, axe-core where installed
	b.Do("to Clover", chromedp.Click(chromedp.CSS("#connect")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="merchant_id"][value="`+mid+`"]`)))
	if u := browsertest.Value(b, "consent url", chromedp.Evaluate[string]("location.href")); !strings.HasPrefix(u, o.m.Sim.Options().BaseURL+"/oauth/v2/authorize?") ||
		!strings.Contains(u, "code_challenge_method=S256") {
		t.Fatalf("consent page URL = %q", u)
	}
	b.Do("consent", chromedp.Click(chromedp.CSS(`input[name="merchant_id"][value="`+mid+`"]`)),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#whoami")))
	got := browsertest.Value(b, "whoami", chromedp.Text(chromedp.CSS("#whoami")))
	mer, err := o.m.DB.GetMerchantByCloverID(t.Context(), mid)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("200 merchant=%s integration=%s state=tenant-42", mer.ID, integrationID); got != want {
		t.Fatalf("CRM page = %q, want %q", got, want)
	}
	// The connect copied the business's Clover record for the pay page.
	if p, err := o.m.DB.MerchantProfile(t.Context(), mer.ID); err != nil || p.Name != "Browser Bakery" || p.Address1 != "415 Main Street" || p.Phone == "" {
		t.Fatalf("merchant profile after connect: %+v, %v", p, err)
	}
	if u := browsertest.Value(b, "return url", chromedp.Evaluate[string]("location.href")); !strings.HasPrefix(u, crm.URL+"/paybridge/return?") {
		t.Fatalf("browser ended at %q, want the registered return URL", u)
	}
	b.Do("connected page", chromedp.Navigate(o.m.URL+"/connect/"+integrationID), chromedp.WaitVisible(chromedp.CSS(`#status[data-status="active"]`)))
	b.State("onboarding-connected-en")
}
