package web

import (
	"context"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
)

// RefreshMerchantProfile copies the merchant's name, address and phone
// from Clover's merchant record (GET /v3/merchants/{mId}?expand=address)
// into the store, where the pay page and its mails read them: it runs
// when the merchant connects and at the sandbox's start, never while a
// customer waits for a page.
func (s *Server) RefreshMerchantProfile(ctx context.Context, merchantID string) error {
	mer, err := s.Store.GetMerchant(ctx, merchantID)
	if err != nil {
		return err
	}
	sealed, err := s.Store.MerchantCredentials(ctx, merchantID)
	if err != nil {
		return err
	}
	creds, err := billing.OpenCredentials(s.Sealer, merchantID, sealed)
	if err != nil {
		return err
	}
	cm, err := s.Clover.GetMerchant(ctx, clover.Auth{MerchantID: mer.CloverMerchantID, AccessToken: creds.AccessToken})
	if err != nil {
		return err
	}
	p := &paybridge.MerchantProfile{MerchantID: merchantID, Name: cm.Name, Phone: cm.Phone}
	if a := cm.Address; a != nil {
		p.Address1, p.Address2 = a.Address1, strings.TrimSpace(a.Address2+" "+a.Address3)
		p.City, p.Region, p.PostalCode, p.Country = a.City, a.State, a.Zip, a.Country
		if a.PhoneNumber != "" {
			p.Phone = a.PhoneNumber
		}
	}
	return s.Store.SetMerchantProfile(ctx, p)
}

// profile is a merchant's copied profile, nil when there is none (or it
// cannot be read: a mail goes out without the address rather than not).
func (s *Server) profile(ctx context.Context, merchantID string) *paybridge.MerchantProfile {
	p, err := s.Store.MerchantProfile(ctx, merchantID)
	if err != nil {
		return nil
	}
	return p
}

// fillProfile sets the business's address lines and phone on a view.
func (v *view) fillProfile(p *paybridge.MerchantProfile) {
	if p == nil {
		return
	}
	for _, l := range []string{p.Address1, p.Address2, strings.TrimSpace(strings.Join(nonEmpty(p.City, strings.TrimSpace(p.Region+" "+p.PostalCode)), ", "))} {
		if l != "" {
			v.Address = append(v.Address, l)
		}
	}
	v.Phone = p.Phone
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
