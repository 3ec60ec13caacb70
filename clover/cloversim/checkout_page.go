package cloversim

import (
	"fmt"
	"html/template"
	"net/http"
)

// hcoView is what the hosted checkout page shows.
type hcoView struct {
	ID        string
	Merchant  string
	Lines     []hcoLine
	Total     string
	Error     string
	Expired   bool
	Paid      bool
	NotFound  bool
	CanCancel bool
}

type hcoLine struct {
	Name, Qty, Amount string
}

func hcoMoney(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

// hcoPage is Clover's own hosted page, so it may take card data in a plain
// form posted back to the Sim.
var hcoPage = template.Must(template.New("hco").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Checkout · Clover</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f5f5;margin:0}
header{background:#228800;color:#fff;padding:12px 24px;font-weight:600}
main{max-width:420px;margin:32px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 4px #0002}
table{width:100%}td.a{text-align:right}label{display:block;margin:8px 0}input{width:100%;padding:6px;box-sizing:border-box}
button{background:#228800;color:#fff;border:0;border-radius:4px;padding:10px 20px;font-size:1em;margin-top:12px}
button.c{background:#777}.err{color:#b00020}</style></head>
<body><header>{{if .Merchant}}{{.Merchant}}{{else}}Clover Checkout{{end}}</header><main>
{{if .NotFound}}<h1>Checkout not found</h1><p>This checkout link is not valid.</p>
{{else if .Expired}}<h1>Checkout expired</h1><p>This checkout session has expired. Ask the merchant for a new link.</p>
{{else if .Paid}}<h1>Payment complete</h1><p>Thank you: {{.Total}} was paid.</p>
{{else}}<h1>Pay {{.Total}}</h1>
<table>{{range .Lines}}<tr><td>{{.Name}} × {{.Qty}}</td><td class="a">{{.Amount}}</td></tr>{{end}}
<tr><th>Total</th><th class="a">{{.Total}}</th></tr></table>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/checkout/{{.ID}}" autocomplete="on">
<label>Card number <input name="number" inputmode="numeric" autocomplete="cc-number" required></label>
<label>Expiry (MM/YY) <input name="exp" autocomplete="cc-exp" required></label>
<label>CVV <input name="cvv" inputmode="numeric" autocomplete="cc-csc" required></label>
<label>Name on card <input name="name" autocomplete="cc-name"></label>
<label>Postal code <input name="zip" autocomplete="postal-code"></label>
<button type="submit" name="action" value="pay">Pay {{.Total}}</button>
{{if .CanCancel}}<button class="c" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>{{end}}
</form>{{end}}
</main></body></html>`))

// checkoutLocked loads a session into a view and the status to answer.
func (s *Sim) checkoutLocked(id string) (*hcoSession, hcoView, int) {
	hs := s.ext.checkouts[id]
	if hs == nil {
		return nil, hcoView{NotFound: true}, http.StatusNotFound
	}
	v := hcoView{ID: hs.ID, Total: hcoMoney(hs.Total), Paid: hs.ChargeID != ""}
	if m := s.merchants[hs.MerchantID]; m != nil {
		v.Merchant = m.Name
	}
	for _, li := range hs.Params.ShoppingCart.LineItems {
		name := li.Name
		if name == "" {
			name = li.ItemRefUUID
		}
		v.Lines = append(v.Lines, hcoLine{Name: name, Qty: fmt.Sprint(li.UnitQty), Amount: hcoMoney(li.Price * li.UnitQty)})
	}
	v.CanCancel = hs.Params.RedirectURLs != nil && hs.Params.RedirectURLs.Cancel != ""
	switch {
	case v.Paid:
		return hs, v, http.StatusOK
	case !s.nowLocked().Before(hs.Expires):
		v.Expired = true
		return hs, v, http.StatusGone
	}
	return hs, v, http.StatusOK
}

func (s *Sim) checkoutPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, v, status := s.checkoutLocked(r.PathValue("id"))
	s.mu.Unlock()
	s.renderCheckout(w, status, v)
}

func (s *Sim) renderCheckout(w http.ResponseWriter, status int, v hcoView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = hcoPage.Execute(w, v)
}
