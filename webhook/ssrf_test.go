package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
