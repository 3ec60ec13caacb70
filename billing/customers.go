package billing

import (
	"context"
	"strings"

	"github.com/paybridge/paybridge"
)

// CreateCustomer creates a customer. It is local only: Clover needs a
// customer just for cards on file, and an order carries the email itself,
// so no Clover call (and no rate budget) is spent here.
func (s *Service) CreateCustomer(ctx context.Context, c Caller, in CustomerInput) (*paybridge.Customer, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	cu := &paybridge.Customer{
		ID: paybridge.NewID(paybridge.PrefixCustomer), MerchantID: c.MerchantID,
		Email: in.Email, Name: in.Name, Phone: in.Phone, Metadata: orEmpty(in.Metadata),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreateCustomer(ctx, cu); err != nil {
		return nil, err
	}
	return cu, nil
}

// GetCustomer returns one of the merchant's customers.
func (s *Service) GetCustomer(ctx context.Context, c Caller, id string) (*paybridge.Customer, error) {
	return s.Store.GetCustomer(ctx, c.MerchantID, id)
}

// UpdateCustomer changes the given fields of a customer.
func (s *Service) UpdateCustomer(ctx context.Context, c Caller, id string, in CustomerUpdate) (*paybridge.Customer, error) {
	cu, err := s.Store.GetCustomer(ctx, c.MerchantID, id)
	if err != nil {
		return nil, err
	}
	next := CustomerInput{Email: cu.Email, Name: cu.Name, Phone: cu.Phone, Metadata: cu.Metadata}
	if in.Email != nil {
		next.Email = *in.Email
	}
	next.Name, next.Phone = in.Name.Apply(next.Name), in.Phone.Apply(next.Phone)
	if in.Metadata != nil {
		next.Metadata = paybridge.MergeMetadata(cu.Metadata, in.Metadata)
	}
	if err := next.validate(); err != nil {
		return nil, err
	}
	cu.Email, cu.Name, cu.Phone, cu.Metadata = next.Email, next.Name, next.Phone, orEmpty(next.Metadata)
	cu.UpdatedAt = s.Now().UTC()
	if err := s.Store.UpdateCustomer(ctx, cu); err != nil {
		return nil, err
	}
	return cu, nil
}

// ListCustomers lists customers, optionally those with one email.
func (s *Service) ListCustomers(ctx context.Context, c Caller, f paybridge.CustomerFilter) ([]*paybridge.Customer, string, error) {
	f.Email = strings.TrimSpace(f.Email)
	return s.Store.ListCustomers(ctx, c.MerchantID, f)
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
