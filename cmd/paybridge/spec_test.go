package main

import (
	"strings"
	"testing"

	"github.com/paybridge/paybridge/httpapi/apitest"
)

// TestSpecDocumentsEveryAPIRoute: every /v1 route the server serves is in
// the OpenAPI spec CRM developers integrate from, and the spec names no
// /v1 route the server lacks.
func TestSpecDocumentsEveryAPIRoute(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	doc, err := apitest.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, p := range e.m.Router.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/v1/") {
			continue
		}
		served[method+" "+path] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but not in openapi.yaml", p)
		}
	}
	if len(served) < 30 {
		t.Fatalf("only %d /v1 routes found: the check sees too little", len(served))
	}
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which the server does not serve", method, path)
			}
		}
	}
}
