package onboarding

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/paybridge/paybridge"
)

//go:embed templates
var templates embed.FS

var pageTmpl = template.Must(template.ParseFS(templates, "templates/page.html"))

// cookieName binds an authorization attempt to the browser that started
// it: a state replayed or injected from anywhere else is refused.
const cookieName = "pb_connect"

// pageCSP is the connect pages' policy: own stylesheet only, no script,
// no framing, links and redirects only.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

type pageData struct {
	Lang, Title, Intro, ScopesHeading, Never, StatusHeading string
	Scopes                                                  []string
	Status, StatusText, Button, ButtonURL                   string
	Error, ErrorCode, Again                                 string
}

func (s *Service) render(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		s.Logger.Error("render connect page", "err", err)
	}
}

// renderError shows a refusal in the browser's language; causes go to the
// log only.
func (s *Service) renderError(w http.ResponseWriter, r *http.Request, err error) {
	l := lang(r)
	pe := &PageError{Status: http.StatusInternalServerError, Code: "internal"}
	if !errors.As(err, &pe) {
		s.Logger.Error("connect", "err", err)
	} else {
		s.Logger.Info("connect refused", "code", pe.Code, "err", pe.Err)
	}
	s.render(w, pe.Status, pageData{Lang: l, Title: msg(l, "error_title"), Error: msg(l, pe.Code),
		ErrorCode: pe.Code, Again: msg(l, "again")})
}

// ConnectPage is the merchant-facing page of an integration (GET
// /connect/{id}): what is being authorized, the connection's status, and a
// button to connect or reconnect.
func (s *Service) ConnectPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	it, err := s.GetIntegration(ctx, r.PathValue("id"))
	if err != nil {
		if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
			err = pageErr(http.StatusNotFound, "integration_not_found", err)
		}
		s.renderError(w, r, err)
		return
	}
	l := lang(r)
	d := pageData{Lang: l, Title: msg(l, "title"), Intro: msg(l, "intro"), ScopesHeading: msg(l, "scopes_heading"),
		Scopes:        []string{msg(l, "scope_payments"), msg(l, "scope_orders"), msg(l, "scope_customers")},
		Never:         msg(l, "scope_never"),
		StatusHeading: msg(l, "status_heading"), Status: "not_connected", StatusText: msg(l, "status_new"),
		Button: msg(l, "connect"), ButtonURL: s.ConnectURL(it.ID) + startQuery(r)}
	// Anyone with the integration id (it is in the CRM's connect URL) may
	// open this page, so it shows whether the integration is connected,
	// never whom to (the merchant's name or id): that is for the CRM,
	// through the hand-off, after Clover's OAuth has proven the merchant.
	if it.MerchantID != "" {
		m, err := s.Store.GetMerchant(ctx, it.MerchantID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Status, d.StatusText = string(m.Status), msg(l, "status_active")
		if m.Status == paybridge.MerchantReauthorizationRequired {
			d.StatusText, d.Button = msg(l, "status_reauth"), msg(l, "reconnect")
		}
	}
	s.render(w, http.StatusOK, d)
}

// startQuery passes the connect page's preselect and CRM state on to start.
func startQuery(r *http.Request) string {
	q := url.Values{}
	for _, k := range []string{"merchant_id", "crm_state"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// StartConnect is the connect_url (GET /connect/{id}/start): it records a
// fresh state, binds it to the browser with a cookie and redirects (302)
// to Clover's consent page.
func (s *Service) StartConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	authURL, state, err := s.Start(r.Context(), r.PathValue("id"), q.Get("merchant_id"), q.Get("crm_state"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: state, Path: s.callbackPath(), MaxAge: int(s.StateTTL.Seconds()),
		HttpOnly: true, Secure: strings.HasPrefix(s.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, authURL, http.StatusFound)
}

func (s *Service) callbackPath() string {
	if u, err := url.Parse(s.RedirectURI()); err == nil && u.Path != "" {
		return u.Path
	}
	return "/oauth/callback"
}

// OAuthCallback is Clover's redirect back (GET /oauth/callback): on success
// a 302 to the integration's registered return URL with a hand-off code;
// otherwise an error page, and no token exchange for a bad state.
func (s *Service) OAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := CallbackInput{State: q.Get("state"), Code: q.Get("code"), MerchantID: q.Get("merchant_id"),
		EmployeeID: q.Get("employee_id"), ClientID: q.Get("client_id"), Error: q.Get("error"),
		RequestID: w.Header().Get("X-Request-Id")}
	if c, err := r.Cookie(cookieName); err == nil {
		in.BrowserState = c.Value
	}
	res, err := s.Callback(context.WithoutCancel(r.Context()), in)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: s.callbackPath(), MaxAge: -1,
		HttpOnly: true, Secure: strings.HasPrefix(s.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, res.RedirectURL, http.StatusFound)
}

// Stylesheet serves the connect pages' CSS (GET /connect/assets/connect.css).
func (s *Service) Stylesheet(w http.ResponseWriter, r *http.Request) {
	b, _ := templates.ReadFile("templates/connect.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
