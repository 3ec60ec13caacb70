package web

import (
	"net"
	"net/http"
	"strings"
)

// csp is the pay page's Content-Security-Policy: no inline script or
// style, scripts from paybridge and the Clover SDK origin only, frames
// from Clover only, forms back to paybridge (or Clover's hosted checkout),
// and nobody may frame the page.
func (s *Server) csp() string {
	sdk := origin(s.SDKURL)
	forms := "'self'"
	seen := map[string]bool{}
	for _, o := range s.CheckoutOrigins {
		// Clover's web and checkout origins are one in the sandbox: each
		// origin is named once.
		if o = origin(o); o != "" && !seen[o] {
			forms += " " + o
			seen[o] = true
		}
	}
	frames := "'none'"
	if sdk != "" {
		frames = sdk
	}
	return "default-src 'none'; script-src 'self' " + sdk + "; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; frame-src " + frames + "; form-action " + forms + "; base-uri 'none'; frame-ancestors 'none'"
}

// page wraps a customer-facing route: security headers and the per-client
// rate limit.
func (s *Server) page(next http.Handler) http.Handler {
	csp := s.csp()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // the link token is in the URL
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !loopbackHost(r.Host) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !s.ipLimit.allow(clientIP(r)) {
			h.Set("Retry-After", "60")
			s.render(w, r, http.StatusTooManyRequests, &view{Kind: "notice", Locale: pickLocale(r), Title: "busy_title", Text: "err_busy"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine, where
// HSTS would pin plain-http development servers to https.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientIP is the payer's address, sent to Clover as x-forwarded-for: the
// peer address (paybridge has no trusted-proxy setting and does not trust
// X-Forwarded-For from arbitrary clients; a deployment behind a proxy
// must pass the client's address as the peer). "" when the peer is not an
// IP address (the payment then sends the server's, billing/forwarded.go).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if net.ParseIP(host) == nil {
		return ""
	}
	return host
}
