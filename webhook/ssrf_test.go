package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://crm.example.com/hooks", false, true},
		{"https://93.184.216.34/hooks", false, true},
		{"http://crm.example.com/hooks", false, false}, // https only outside sandbox
		{"https://127.0.0.1/hooks", false, false},
		{"https://localhost/hooks", false, false},
		{"https://api.localhost/hooks", false, false},
		{"https://10.1.2.3/", false, false},
		{"https://172.16.0.1/", false, false},
		{"https://192.168.1.1/", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://100.64.0.1/", false, false},
		{"https://[::1]/", false, false},
		{"https://[fe80::1]/", false, false},
		{"https://[fd00::1]/", false, false},
		{"https://[::ffff:127.0.0.1]/", false, false},
		{"https://0.0.0.0/", false, false},
		{"https://user:pw@crm.example.com/", false, false},
		{"ftp://crm.example.com/", false, false},
		{"/relative", false, false},
		{"http://127.0.0.1:3000/hooks", true, true}, // sandbox mode
		// IPv6 transition ranges carry an IPv4 address a relay would reach.
		{"https://[2002:a00:1::1]/", false, false},       // 6to4 of 10.0.0.1
		{"https://[2002:5db8:d822::1]/", false, false},   // 6to4, even of a public IPv4
		{"https://[2001:0:4136:e378::1]/", false, false}, // Teredo
		{"https://[64:ff9b::a00:1]/", false, false},      // NAT64 of 10.0.0.1
		{"https://[64:ff9b:1::a00:1]/", false, false},    // local-use NAT64
		{"https://[::a00:1]/", false, false},             // IPv4-compatible
		{"https://[::ffff:0:a00:1]/", false, false},      // IPv4-translated
		{"https://[100::1]/", false, false},              // discard-only
		{"https://[2001:db8::1]/", false, false},         // documentation
		{"https://[fec0::1]/", false, false},             // site-local
		{"https://192.0.2.10/", false, false},            // TEST-NET-1
		{"https://192.88.99.1/", false, false},           // 6to4 relay anycast
		{"https://[2606:4700::1111]/", false, true},      // a public IPv6 address
	} {
		err := CheckURL(tc.url, tc.allowPrivate)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q, %v) = %v, want ok=%v", tc.url, tc.allowPrivate, err, tc.ok)
		}
	}
}

// A name that resolves to loopback is refused at connect time.
func TestSenderRefusesLoopbackAtDial(t *testing.T) {
	t.Parallel()
	var hit atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer srv.Close()
	_, err := NewSender(false).Send(context.Background(), srv.URL, "evt_1", []byte(`{}`), NewSecret())
	if !errors.Is(err, ErrForbiddenTarget) || hit.Load() {
		t.Fatalf("err = %v, hit = %v; want ErrForbiddenTarget and no request", err, hit.Load())
	}
	res, err := NewSender(true).Send(context.Background(), srv.URL, "evt_1", []byte(`{}`), NewSecret())
	if err != nil || !res.OK() || !hit.Load() {
		t.Fatalf("sandbox sender: %v %+v hit=%v", err, res, hit.Load())
	}
}

// fakeResolver is a fixed DNS table.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	dns := fakeResolver{
		"crm.example.com":      {netip.MustParseAddr("93.184.216.34")},
		"loop.example.com":     {netip.MustParseAddr("127.0.0.1")},
		"mixed.example.com":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")},
		"v6loop.example.com":   {netip.MustParseAddr("::1")},
		"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
	}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://crm.example.com/hooks", true},
		{"https://loop.example.com/hooks", false},
		{"https://loop.example.com./hooks", false}, // trailing dot
		{"https://mixed.example.com/hooks", false}, // any private address
		{"https://v6loop.example.com/hooks", false},
		{"https://metadata.example.com/hooks", false},
		{"https://93.184.216.34/hooks", true},
		{"https://[::1]/hooks", false},
		{"https://unknown.example.com/hooks", true}, // not resolvable yet: the dialer decides
	} {
		err := CheckHost(context.Background(), tc.url, dns)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrForbiddenTarget)) {
			t.Errorf("CheckHost(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

// A public endpoint that redirects to a private address: the redirect is
// not followed, so nothing reaches the private address and the delivery
// counts as failed.
func TestSenderDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var hit atomic.Bool
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer private.Close()
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer public.Close()
	s := NewSender(false)
	// The test's "public" server is on loopback too: let the dialer reach
	// exactly it, as if it were public; every other address is checked.
	tr := s.HTTPClient.Transport.(*http.Transport)
	publicAddr := public.Listener.Addr().String()
	strict := Dialer(false)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "crm.example.com:80" {
			return (&net.Dialer{}).DialContext(ctx, network, publicAddr)
		}
		return strict.DialContext(ctx, network, addr)
	}
	res, err := s.Send(context.Background(), "http://crm.example.com/hooks", "evt_1", []byte(`{}`), NewSecret())
	if err == nil || res.Status != http.StatusTemporaryRedirect || hit.Load() {
		t.Fatalf("redirect: err %v, status %d, private hit %v; want a failed delivery and no request", err, res.Status, hit.Load())
	}
	// The same private address as a direct target is refused at dial.
	if _, err := s.Send(context.Background(), private.URL, "evt_2", []byte(`{}`), NewSecret()); !errors.Is(err, ErrForbiddenTarget) || hit.Load() {
		t.Fatalf("direct: %v, hit %v", err, hit.Load())
	}
}

// TestCheckPort: outside sandbox mode only 443 and 80 (or the configured
// list) may be named, explicitly or by the scheme's default.
func TestCheckPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url   string
		ports []int
		ok    bool
	}{
		{"https://crm.example.com/hooks", nil, true},
		{"https://crm.example.com:443/hooks", nil, true},
		{"https://crm.example.com:80/hooks", nil, true},
		{"https://crm.example.com:8443/hooks", nil, false},
		{"https://crm.example.com:25/", nil, false},
		{"https://crm.example.com:6379/", nil, false},
		{"https://crm.example.com:8443/hooks", []int{443, 8443}, true},
		{"https://crm.example.com/hooks", []int{8443}, false},
	} {
		if err := CheckPort(tc.url, tc.ports); (err == nil) != tc.ok {
			t.Errorf("CheckPort(%q, %v) = %v, want ok=%v", tc.url, tc.ports, err, tc.ok)
		}
	}
}
