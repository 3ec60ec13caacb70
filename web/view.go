package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
)

var tmpl = template.Must(template.New("pay").ParseFS(templateFS, "templates/*.html"))

// view is everything one page render needs.
type view struct {
	Kind   string // form, hosted, receipt, processing, notice
	Locale string
	Title  string // notice: message keys
	Text   string
	Error  string // localized

	Merchant, Token  string
	Inv              *paybridge.Invoice
	Lines            []lineView
	Subtotal, Tax    string
	Total, Paid, Due string
	HasPaid          bool
	Attempt, CSRF    string
	PAKMS, CloverMID string
	SDK              template.URL
	AllowTip         bool
	Tips             []tipView
	AllowPartial     bool
	MinPartial       string
	Choice           choice      // what the customer picked (choice.go)
	Fmt              moneyFormat // how pay.js writes amounts
	DueMinor         int64
	MinMinor         int64
	PayNow, TipNow   string // the amount and tip charged for Choice
	Charge           string // their sum, "" while Choice cannot be charged
	ChargeMinor      int64
	ChoiceError      string // why Choice cannot be charged, once typed
	InvDate, DueDate string
	Address          []string // the business's, from its Clover profile
	Phone            string
	Payments         []paymentView
	ReceiptTo        string
	Remaining        string
	Refresh          bool
	Link             string // a mail's pay-page link
	CSS, JS          assetRef
	Icon             template.URL
}

type lineView struct {
	Description string
	Quantity    int64
	Amount      string
}

type tipView struct {
	Pct    int
	Amount string // "" while the amount paid now is not known
}

type paymentView struct {
	N                                     int
	Date, Card, Amount, Tip, Charged, Ref string
}

type assetRef struct {
	Src       template.URL
	Integrity string
}

type langLink struct {
	Code, Name string
	Current    bool
}

// T translates a message key.
func (v *view) T(key string) string { return msg(v.Locale, key) }

// Tf translates a key with one %s argument.
func (v *view) Tf(key, arg string) string { return fmt.Sprintf(msg(v.Locale, key), arg) }

// Lang is the page's language tag.
func (v *view) Lang() string { return v.Locale }

// PageTitle is the document title.
func (v *view) PageTitle() string {
	if v.Inv != nil {
		return v.Tf("title", v.Inv.Number)
	}
	if v.Title != "" {
		return v.T(v.Title)
	}
	return "paybridge"
}

// PayLabel is the submit button: "Pay $12.34", the total charged for the
// customer's choice (just "Pay" while it cannot be charged).
func (v *view) PayLabel() string {
	if v.Charge == "" {
		return v.T("pay")
	}
	return v.T("pay") + " " + v.Charge
}

// Pct writes a tip percentage as the locale does ("15%", "15 %").
func (v *view) Pct(p int) string {
	if v.Locale == "fr-CA" {
		return strconv.Itoa(p) + "\u00a0%"
	}
	return strconv.Itoa(p) + "%"
}

// choose sets the form's choice and what it charges: the amount paid now,
// the tip (a percentage of that amount), the total on the button, and the
// preset tips' amounts on the same base.
func (v *view) choose(c choice) {
	inv := v.Inv
	v.Choice, v.Fmt = c, formatOf(inv.Currency, v.Locale)
	v.DueMinor, v.MinMinor = inv.AmountDue(), minPartial(inv)
	amount, tip, code := c.charge(inv)
	v.Tips = v.Tips[:0]
	for _, pct := range tipPercents {
		tv := tipView{Pct: pct}
		if amount > 0 {
			tv.Amount = v.money(tipFor(amount, pct))
		}
		v.Tips = append(v.Tips, tv)
	}
	if code != "" {
		if c.Amount != "" || code == "tip_invalid" {
			v.ChoiceError = v.refusal(code)
		}
		return
	}
	v.PayNow, v.TipNow = v.money(amount), v.money(tip)
	v.ChargeMinor, v.Charge = amount+tip, v.money(amount+tip)
}

// Langs are the language switch links.
func (v *view) Langs() []langLink {
	names := map[string]string{"en-US": "English (US)", "en-CA": "English (Canada)", "fr-CA": "Français (Canada)"}
	out := make([]langLink, len(Locales))
	for i, l := range Locales {
		out[i] = langLink{l, names[l], l == v.Locale}
	}
	return out
}

// money formats minor units in the view's locale and invoice currency.
func (v *view) money(amount int64) string {
	cur := "usd"
	if v.Inv != nil {
		cur = v.Inv.Currency
	}
	return FormatMoney(amount, cur, v.Locale)
}

// fillInvoice sets the summary fields from an invoice.
func (v *view) fillInvoice(merchant string, inv *paybridge.Invoice) {
	v.Merchant, v.Inv = merchant, inv
	v.Lines = make([]lineView, len(inv.LineItems))
	for i, li := range inv.LineItems {
		v.Lines[i] = lineView{li.Description, li.Quantity, v.money(li.Amount)}
	}
	v.Subtotal, v.Tax, v.Total = v.money(inv.Subtotal), v.money(inv.TaxAmount), v.money(inv.Total)
	v.Paid, v.HasPaid = v.money(inv.AmountPaid), inv.AmountPaid > 0
	v.Due = v.money(inv.AmountDue())
	v.InvDate = formatDate(inv.CreatedAt, v.Locale)
	if d, err := time.Parse(time.DateOnly, inv.DueDate); err == nil {
		v.DueDate = formatDate(d, v.Locale)
	}
}

// tipPercents are the preset tip choices.
var tipPercents = []int{15, 18, 20}

// tipFor is pct percent of amount, half up.
func tipFor(amount int64, pct int) int64 { return (amount*int64(pct) + 50) / 100 }

// fillPayments lists an invoice's settled payments on a receipt, each with
// its date, card, amount, tip, total charged and reference (the payment's
// id, which the business finds it by).
func (v *view) fillPayments(ps []*paybridge.Payment) {
	for _, p := range ps {
		if !p.Status.Settled() {
			continue
		}
		pv := paymentView{N: len(v.Payments) + 1, Date: formatDate(p.CreatedAt, v.Locale), Amount: v.money(p.Amount),
			Charged: v.money(p.Amount + p.TipAmount), Ref: p.ID}
		if p.TipAmount > 0 {
			pv.Tip = v.money(p.TipAmount)
		}
		if p.Card != nil && p.Card.Last4 != "" {
			pv.Card = strings.TrimSpace(p.Card.Brand + " •••• " + p.Card.Last4)
		}
		v.Payments = append(v.Payments, pv)
	}
}

// render writes a page. Rendering into a buffer first means a template
// error becomes a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	css, js := s.assets["pay.css"], s.assets["pay.js"]
	v.CSS = assetRef{css.src("pay.css"), css.integrity}
	v.JS = assetRef{js.src("pay.js"), js.integrity}
	v.Icon = s.assets["favicon.svg"].src("favicon.svg")
	v.SDK = template.URL(s.SDKURL)
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Logger.Error("render pay page", "kind", v.Kind, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writePage(w, status, v.Locale, buf.Bytes())
}

// writePage sends a rendered page in locale with status.
func writePage(w http.ResponseWriter, status int, locale string, page []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", locale)
	h.Set("Content-Length", strconv.Itoa(len(page)))
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(page)
}

// readForm parses a POSTed form of at most maxForm bytes; false means it
// was refused and answered.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	return true
}
