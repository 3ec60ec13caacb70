package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/httpapi/apitest"
)

// ssrfDNS is a fixed DNS table for the endpoint API outside sandbox mode.
type ssrfDNS map[string][]netip.Addr

func (d ssrfDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := d[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// Outside sandbox mode the webhook-endpoint API refuses URLs that target
// loopback or private addresses, literally or through DNS, at creation and
// on update. The handler runs as a production Main wires it (sandbox off)
// on the sandbox's real store, keyring and API key.
func TestWebhookEndpointSSRFOutsideSandbox(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rt := httpapi.NewRouter(e.m.Keyring, httpapi.SealedIdempotency{Store: e.m.DB, Sealer: e.m.Sealer})
	rt.Logger, rt.Revoked = e.m.Logger, e.m.revoked
	(&httpapi.Events{Store: e.m.DB, Sealer: e.m.Sealer, Redeliverer: e.m.Jobs, AllowPrivate: false, Logger: e.m.Logger,
		Resolver: ssrfDNS{
			"hooks.crm.example":    {netip.MustParseAddr("93.184.216.34")},
			"loopback.crm.example": {netip.MustParseAddr("127.0.0.1")},
			"intranet.crm.example": {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")},
		}}).Routes(rt)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	c := apitest.NewClient(t, srv.URL)
	c.Token, c.HTTPClient = e.key, &http.Client{}
	create := func(url string) (int, string) {
		t.Helper()
		resp, b := c.Do("POST", "/v1/webhook-endpoints", map[string]any{"url": url}, map[string]string{"Content-Type": "application/json"})
		return resp.StatusCode, string(b)
	}
	for _, url := range []string{
		"http://127.0.0.1/hooks", "https://127.0.0.1/hooks",
		"http://10.0.0.1/hooks", "https://10.0.0.1/hooks",
		"http://[::1]/hooks", "https://[::1]/hooks",
		"https://localhost/hooks", "https://169.254.169.254/latest",
		"https://loopback.crm.example/hooks", "https://intranet.crm.example/hooks",
		"https://[2002:a00:1::1]/hooks", "https://[2001:0:4136:e378::1]/hooks", "https://[64:ff9b::a00:1]/hooks", // 6to4, Teredo, NAT64
		"https://hooks.crm.example:8443/paybridge", "https://hooks.crm.example:6379/", // a public host's other ports
	} {
		if st, body := create(url); st != 400 {
			t.Errorf("create %s = %d %s, want 400", url, st, body)
		}
	}
	st, body := create("https://hooks.crm.example/paybridge")
	if st != 201 {
		t.Fatalf("public endpoint = %d %s", st, body)
	}
	list := e.must(200, "GET", "/v1/webhook-endpoints", nil)["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("endpoints stored = %d, want only the public one", len(list))
	}
	id := list[0].(map[string]any)["id"].(string)
	resp, b := c.Do("POST", "/v1/webhook-endpoints/"+id, map[string]any{"url": "https://loopback.crm.example/x"},
		map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 400 {
		t.Fatalf("update to a loopback name = %d %s", resp.StatusCode, b)
	}
	if got := e.must(200, "GET", "/v1/webhook-endpoints/"+id, nil); got["url"] != "https://hooks.crm.example/paybridge" {
		t.Fatalf("endpoint after the refused update = %v", got)
	}
}
