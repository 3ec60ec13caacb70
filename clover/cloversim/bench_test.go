package cloversim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// BenchmarkCharge measures charges per second through real HTTP with limits
// off, from parallel clients, charging a saved card (one request per charge).
func BenchmarkCharge(b *testing.B) {
	s := New(Options{LimitsOff: true})
	srv := httptest.NewServer(s)
	defer srv.Close()
	o := s.Options()
	post := func(path, auth string, hdr map[string]string, v any) []byte {
		j, _ := json.Marshal(v)
		r, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(j))
		r.Header.Set("Authorization", "Bearer "+auth)
		r.Header.Set("X-Forwarded-For", testPayerIP)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		res, err := srv.Client().Do(r)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		return body
	}
	var tok clover.Token
	_ = json.Unmarshal(post("/v1/tokens", "", map[string]string{"apikey": o.PAKMSKey},
		clover.TokenParams{Card: &clover.CardDetails{Number: visa, ExpMonth: "12", ExpYear: "2040", CVV: "123"}}), &tok)
	var cu clover.Customer
	_ = json.Unmarshal(post("/v1/customers", o.AccessToken, nil, clover.CustomerParams{Email: "bench@example.com", Source: tok.ID}), &cu)
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			post("/v1/charges", o.AccessToken, nil, clover.ChargeParams{Amount: 100, Currency: "usd", Source: cu.ID})
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "charges/s")
}
