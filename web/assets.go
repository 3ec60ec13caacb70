package web

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
)

//go:embed assets/pay.js assets/pay.css assets/favicon.svg
var assetFS embed.FS

//go:embed templates/*.html templates/mail.txt
var templateFS embed.FS

// asset is one embedded file with its SRI hash, computed from the exact
// bytes served so the integrity attribute can never drift.
type asset struct {
	body      []byte
	ctype     string
	integrity string // sha384-…
	version   string // cache buster
}

type assetSet map[string]*asset

func loadAssets() assetSet {
	set := assetSet{}
	for name, ctype := range map[string]string{"pay.js": "text/javascript; charset=utf-8", "pay.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"} {
		b, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			panic("web: missing embedded asset " + name)
		}
		sum := sha512.Sum384(b)
		v := sha256.Sum256(b)
		set[name] = &asset{body: b, ctype: ctype,
			integrity: "sha384-" + base64.StdEncoding.EncodeToString(sum[:]), version: hex.EncodeToString(v[:6])}
	}
	return set
}

// AssetIntegrity returns the SRI value of an embedded asset (tests, docs).
func AssetIntegrity(name string) string {
	if a := loadAssets()[name]; a != nil {
		return a.integrity
	}
	return ""
}

// src is the URL of an asset, versioned by content.
func (a *asset) src(name string) template.URL {
	return template.URL("/pay-assets/" + name + "?v=" + a.version)
}

// FaviconPath is the icon's URL (versioned by content), for pages outside
// this package; every page links it, so no browser asks for /favicon.ico.
func FaviconPath() string { return string(loadAssets()["favicon.svg"].src("favicon.svg")) }

// serveFavicon answers a browser that asks for /favicon.ico anyway (a page
// without the link, a bookmark) with the icon's address.
func (s *Server) serveFavicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, string(s.assets["favicon.svg"].src("favicon.svg")), http.StatusMovedPermanently)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	a := s.assets[r.PathValue("file")]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	_, _ = w.Write(a.body)
}
