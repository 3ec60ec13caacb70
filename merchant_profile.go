package paybridge

import "time"

// MerchantProfile is what the pay page and its mails tell customers about
// the business: its name, address and phone as Clover's merchant record
// has them. paybridge copies it when the merchant connects (and when asked
// to refresh it); pages read the copy, never Clover.
type MerchantProfile struct {
	MerchantID string
	Name       string
	Address1   string
	Address2   string
	City       string
	Region     string // state or province
	PostalCode string
	Country    string
	Phone      string
	UpdatedAt  time.Time
}
