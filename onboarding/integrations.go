package onboarding

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/paybridge/paybridge"
)

// IntegrationInput is the body of POST /v1/integrations.
type IntegrationInput struct {
	Type        string `json:"type"`         // the CRM product, e.g. "fieldpro"
	ExternalKey string `json:"external_key"` // the CRM instance's own id
	ReturnURL   string `json:"return_url"`   // where the hand-off code goes
}

var (
	typeRe        = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	externalKeyRe = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)
)

// CreateIntegration finds or creates the integration of (Type,
// ExternalKey) and registers ReturnURL. It returns the integration, its
// connect URL and whether it was created.
func (s *Service) CreateIntegration(ctx context.Context, in IntegrationInput) (*paybridge.Integration, string, bool, error) {
	switch {
	case !typeRe.MatchString(in.Type):
		return nil, "", false, paybridge.Errorf(paybridge.EINVALID, "type",
			"type must be 1-64 lowercase letters, digits, '_', '.' or '-'").WithCode("invalid_type")
	case !externalKeyRe.MatchString(in.ExternalKey):
		return nil, "", false, paybridge.Errorf(paybridge.EINVALID, "external_key",
			"external_key must be 1-255 printable ASCII characters without spaces").WithCode("invalid_external_key")
	}
	if err := s.checkReturnURL(in.ReturnURL); err != nil {
		return nil, "", false, err
	}
	it, created, err := s.Store.FindOrCreateIntegration(ctx, &paybridge.Integration{
		ID: uuid.NewString(), Type: in.Type, ExternalKey: in.ExternalKey, ReturnURL: in.ReturnURL,
	})
	if err != nil {
		return nil, "", false, err
	}
	return it, s.ConnectURL(it.ID), created, nil
}

// ConnectURL is where a merchant's admin starts connecting an integration.
func (s *Service) ConnectURL(integrationID string) string {
	return s.PublicURL + "/connect/" + integrationID + "/start"
}

// checkReturnURL accepts only absolute https URLs (http on a loopback host
// in sandbox mode) without credentials or fragment: the hand-off code is
// only ever sent to exactly this registered URL.
func (s *Service) checkReturnURL(raw string) error {
	bad := func(msg string) error {
		return paybridge.Errorf(paybridge.EINVALID, "return_url", "%s", msg).WithCode("invalid_return_url")
	}
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\\") {
		return bad("return_url must be an absolute https URL of at most 2048 characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return bad("return_url must be an absolute https URL")
	case u.User != nil:
		return bad("return_url must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("return_url must not have a fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && s.AllowLoopbackHTTP && isLoopback(u.Hostname()):
		return nil
	}
	return bad("return_url must use https (http only for loopback hosts in sandbox mode)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GetIntegration returns an integration by id (ENOTFOUND for a malformed id).
func (s *Service) GetIntegration(ctx context.Context, id string) (*paybridge.Integration, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, paybridge.Errorf(paybridge.ENOTFOUND, "", "integration not found")
	}
	return s.Store.GetIntegration(ctx, id)
}
