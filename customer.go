package paybridge

import "time"

// Customer is a merchant's customer, mirrored as a Clover customer.
type Customer struct {
	ID               string            `json:"id"` // cus_…
	MerchantID       string            `json:"-"`
	Email            string            `json:"email"`
	Name             string            `json:"name"`
	Phone            string            `json:"phone"`
	Metadata         map[string]string `json:"metadata"`
	CloverCustomerID string            `json:"clover_customer_id,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
}

// CustomerFilter selects customers in a list.
type CustomerFilter struct {
	Email   string    // exact match, case-insensitive
	Cursor  string    // opaque, from a previous page's next cursor
	Limit   int       // 1–100
	Order   Order     // "" = the list's default
	Created TimeRange // zero = any time
}
