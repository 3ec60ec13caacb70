// Package apitest is an HTTP client for API tests that checks every request
// and response against paybridge's embedded OpenAPI spec (kin-openapi), so
// the spec and the server cannot drift apart unnoticed.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/paybridge/paybridge/httpapi"
)

// Client sends requests to a paybridge server and fails the test (Errorf)
// when a request or a response does not match the spec.
type Client struct {
	T       testing.TB
	BaseURL string
	// Token, when set, is sent as Authorization: Bearer.
	Token      string
	HTTPClient *http.Client

	doc    *openapi3.T
	router routers.Router
}

// NewClient loads and validates the embedded spec (fatal on failure) and
// returns a client for the server at baseURL.
func NewClient(t testing.TB, baseURL string) *Client {
	t.Helper()
	doc, err := LoadSpec()
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	doc.Servers = nil // match any host: test servers listen on random ports
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("apitest: router: %v", err)
	}
	return &Client{T: t, BaseURL: strings.TrimRight(baseURL, "/"), HTTPClient: http.DefaultClient, doc: doc, router: router}
}

// LoadSpec parses and validates the embedded spec.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.Spec())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	return doc, nil
}

// Do sends method path with body (marshalled to JSON unless nil, []byte or
// string, which are sent as they are) and extra headers, checks request and
// response against the spec, and returns the response and its body.
func (c *Client) Do(method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	c.T.Helper()
	return c.do(method, path, body, headers, true)
}

// DoRaw is Do without checking the request against the spec, for tests
// that send deliberately invalid requests; the response is still checked.
func (c *Client) DoRaw(method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	c.T.Helper()
	return c.do(method, path, body, headers, false)
}

// DoJSON is Do that also decodes a response body into out (unless nil).
func (c *Client) DoJSON(method, path string, body any, headers map[string]string, out any) *http.Response {
	c.T.Helper()
	resp, data := c.Do(method, path, body, headers)
	if out != nil {
		Decode(c.T, data, out)
	}
	return resp
}

// Decode unmarshals data into out, failing the test on error.
func Decode(t testing.TB, data []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("apitest: decode %s: %v", truncate(data), err)
	}
}

// Problem decodes an error response body.
func Problem(t testing.TB, data []byte) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	Decode(t, data, &p)
	return p
}

func (c *Client) do(method, path string, body any, headers map[string]string, checkRequest bool) (*http.Response, []byte) {
	c.T.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			c.T.Fatalf("apitest: marshal body: %v", err)
		}
	}
	req, err := http.NewRequest(method, c.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		c.T.Fatalf("apitest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	route, params, findErr := c.router.FindRoute(req)
	if findErr != nil {
		c.T.Errorf("apitest: %s %s is not in the spec: %v", method, path, findErr)
	}
	ctx := context.Background()
	var in *openapi3filter.RequestValidationInput
	if route != nil {
		in = &openapi3filter.RequestValidationInput{
			Request:    cloneRequest(req, payload),
			PathParams: params,
			Route:      route,
			Options: &openapi3filter.Options{
				AuthenticationFunc: acceptBearer,
				MultiError:         true,
			},
		}
		if checkRequest {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				c.T.Errorf("apitest: request %s %s does not match the spec: %v", method, path, err)
			}
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(payload))
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		c.T.Fatalf("apitest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("apitest: read response: %v", err)
	}
	if in != nil {
		if err := c.checkResponse(ctx, in, resp, data); err != nil {
			c.T.Errorf("apitest: response %d to %s %s does not match the spec: %v\nbody: %s", resp.StatusCode, method, path, err, truncate(data))
		}
	}
	return resp, data
}

// checkResponse validates resp against the operation, plus the rules every
// response follows: an X-Request-Id, and problem+json with a matching
// status for every 4xx/5xx.
func (c *Client) checkResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, resp *http.Response, data []byte) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return err
	}
	if resp.Header.Get("X-Request-Id") == "" {
		return errString("no X-Request-Id header")
	}
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != httpapi.ProblemContentType {
			return errString("error response with Content-Type " + ct + ", want " + httpapi.ProblemContentType)
		}
		var p httpapi.Problem
		if err := json.Unmarshal(data, &p); err != nil || p.Status != resp.StatusCode {
			return errString("problem status does not match the response status")
		}
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func acceptBearer(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
	if ai.SecurityScheme != nil && ai.SecurityScheme.Type == "http" && ai.SecurityScheme.Scheme == "bearer" {
		return nil // the server verifies the key; the spec only says it is a bearer token
	}
	return errString("unsupported security scheme")
}

func cloneRequest(req *http.Request, payload []byte) *http.Request {
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(payload))
	if r.URL.RawQuery != "" {
		r.URL.RawQuery = url.Values(r.URL.Query()).Encode()
	}
	return r
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
