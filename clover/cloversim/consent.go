package cloversim

import (
	"html/template"
	"net/http"
	"regexp"
	"sort"
)

// consentPage is Clover's OAuth consent screen: small, self-contained, no
// external assets.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{if .Error}}Error{{else}}Authorize {{.App}}{{end}} · Clover</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f5f5;margin:0}
header{background:#228800;color:#fff;padding:12px 24px;font-weight:600}
main{max-width:420px;margin:32px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 4px #0002}
label{display:block;margin:8px 0}button{background:#228800;color:#fff;border:0;border-radius:4px;padding:10px 20px;font-size:1em}
.err{color:#b00020}</style></head>
<body><header>Clover Sandbox</header><main>
{{if .Error}}<h1>Something went wrong</h1><p class="err">{{.Error}}</p>{{else}}
<h1>{{.App}}</h1><p>{{.App}} would like to access your business data: payments, orders, customers and inventory.</p>
<form method="post">
<fieldset><legend>Merchant</legend>
{{range .Merchants}}<label><input type="radio" name="merchant_id" value="{{.ID}}" {{if .Selected}}checked{{end}} required> {{.Name}} ({{.ID}})</label>{{end}}
</fieldset>
<label>Employee ID (optional) <input name="employee_id" pattern="[A-Z0-9]{13}"></label>
<button type="submit">Accept</button></form>{{end}}
</main></body></html>`))

type consentMerchant struct {
	ID, Name string
	Selected bool
}

type consentData struct {
	App       string
	Error     string
	Merchants []consentMerchant
}

var oauthChallengeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authorizeParams validates the authorize query shared by GET and POST; it
// returns a message for the error page, or "".
func (s *Sim) authorizeParams(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case q.Get("client_id") == "" || q.Get("client_id") != s.app.ClientID:
		return "Unknown app: the client_id is not valid."
	case !extAbsURL(q.Get("redirect_uri")):
		return "redirect_uri must be an absolute http(s) URL."
	case q.Get("code_challenge_method") != "" && q.Get("code_challenge_method") != "S256":
		return "Only the S256 code_challenge_method is supported."
	case q.Get("code_challenge_method") != "" && q.Get("code_challenge") == "":
		return "code_challenge is required with code_challenge_method."
	case q.Get("code_challenge") != "" && !oauthChallengeRe.MatchString(q.Get("code_challenge")):
		return "code_challenge must be the base64url SHA-256 of the code_verifier."
	}
	return ""
}

func (s *Sim) renderConsent(w http.ResponseWriter, status int, d consentData) {
	if d.App == "" {
		d.App = s.appName()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = consentPage.Execute(w, d)
}

func (s *Sim) appName() string { return "Sandbox App " + s.app.ID }

// authorizePage shows the consent screen listing the merchants.
func (s *Sim) authorizePage(w http.ResponseWriter, r *http.Request) {
	if msg := s.authorizeParams(r); msg != "" {
		s.renderConsent(w, http.StatusBadRequest, consentData{Error: msg})
		return
	}
	pre := r.URL.Query().Get("merchant_id")
	s.mu.Lock()
	ms := make([]consentMerchant, 0, len(s.merchants))
	for _, m := range s.merchants {
		ms = append(ms, consentMerchant{ID: m.ID, Name: m.Name, Selected: m.ID == pre})
	}
	s.mu.Unlock()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name+ms[i].ID < ms[j].Name+ms[j].ID })
	if pre == "" && len(ms) == 1 {
		ms[0].Selected = true
	}
	s.renderConsent(w, http.StatusOK, consentData{Merchants: ms})
}

// authorizeSubmit issues a single-use code for the chosen merchant and sends
// the browser back to the app.
func (s *Sim) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if msg := s.authorizeParams(r); msg != "" {
		s.renderConsent(w, http.StatusBadRequest, consentData{Error: msg})
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderConsent(w, http.StatusBadRequest, consentData{Error: "The form could not be read."})
		return
	}
	q := r.URL.Query()
	mid, eid := r.PostForm.Get("merchant_id"), r.PostForm.Get("employee_id")
	s.mu.Lock()
	if _, ok := s.merchants[mid]; !ok {
		s.mu.Unlock()
		s.renderConsent(w, http.StatusBadRequest, consentData{Error: "Choose a merchant."})
		return
	}
	if eid == "" {
		eid = s.ownerLocked(mid)
	}
	now := s.nowLocked()
	for k, c := range s.ext.codes { // forget dead codes
		if c.Used || !now.Before(c.Expires) {
			delete(s.ext.codes, k)
		}
	}
	code := randHex(16)
	c := &oauthCode{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), MerchantID: mid, EmployeeID: eid,
		Challenge: q.Get("code_challenge"), Expires: now.Add(oauthCodeTTL)}
	s.ext.codes[code] = c
	s.mu.Unlock()
	http.Redirect(w, r, oauthRedirect(c, code, q.Get("state")), http.StatusFound)
}

// ownerLocked is the merchant's default employee (its owner), used when the
// consent names none.
func (s *Sim) ownerLocked(mid string) string {
	if e, ok := s.ext.owners[mid]; ok {
		return e
	}
	e := NewID()
	s.ext.owners[mid] = e
	return e
}
