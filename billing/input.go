package billing

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paybridge/paybridge"
)

// CustomerInput creates a customer (POST /v1/customers).
type CustomerInput struct {
	Email    string            `json:"email"`
	Name     string            `json:"name"`
	Phone    string            `json:"phone"`
	Metadata map[string]string `json:"metadata"`
}

// CustomerUpdate changes a customer: absent fields stay as they are, a null
// name or phone clears it, and metadata merges key by key (a key set to ""
// or null is removed), as Stripe's updates do.
type CustomerUpdate struct {
	Email    *string                 `json:"email"`
	Name     paybridge.Patch[string] `json:"name"`
	Phone    paybridge.Patch[string] `json:"phone"`
	Metadata map[string]*string      `json:"metadata"`
}

// LineItemInput is one line of a new invoice.
type LineItemInput struct {
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitAmount  int64  `json:"unit_amount"`
	TaxRateBPS  int64  `json:"tax_rate_bps"`
}

// InvoiceInput creates an invoice (POST /v1/invoices).
type InvoiceInput struct {
	CustomerID           string            `json:"customer_id"`
	Currency             string            `json:"currency"`
	LineItems            []LineItemInput   `json:"line_items"`
	AllowTip             bool              `json:"allow_tip"`
	AllowPartial         bool              `json:"allow_partial"`
	MinimumPartialAmount int64             `json:"minimum_partial_amount"`
	DueDate              string            `json:"due_date"`
	Metadata             map[string]string `json:"metadata"`
}

// PayInput pays an invoice (POST /v1/invoices/{id}/payments): exactly one of
// Source (a clv_ token), CardID (a saved card) or Tender (cash, check).
// Amount defaults to the amount due; TipAmount is on top, never inside it.
type PayInput struct {
	Source    string `json:"source"`
	CardID    string `json:"card_id"`
	Tender    string `json:"tender"`
	Amount    *int64 `json:"amount"`
	TipAmount int64  `json:"tip_amount"`
	SaveCard  bool   `json:"save_card"`
	// ConsentText is the wording the payer agreed to when saving the card
	// ("" = paybridge.DefaultCardConsentText).
	ConsentText string `json:"consent_text"`
	// ClientIP is the paying customer's IP address, when the customer is
	// paying through the CRM (sent to Clover as x-forwarded-for; without
	// it the payment is merchant-initiated, see forwarded.go).
	ClientIP string `json:"client_ip"`
}

// PaymentInput is a direct payment without an invoice (POST /v1/payments).
// Capture false authorizes only.
type PaymentInput struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Source      string `json:"source"`
	CardID      string `json:"card_id"`
	Capture     *bool  `json:"capture"`
	CustomerID  string `json:"customer_id"`
	Description string `json:"description"`
	// SaveCard keeps the card on file for CustomerID (required then), with
	// the consent wording ConsentText.
	SaveCard    bool   `json:"save_card"`
	ConsentText string `json:"consent_text"`
	// ClientIP: as PayInput.ClientIP.
	ClientIP string `json:"client_ip"`
}

// CaptureInput captures an authorized payment; Amount defaults to all of it.
type CaptureInput struct {
	Amount *int64 `json:"amount"`
}

// RefundInput refunds a payment; Amount defaults to what remains.
type RefundInput struct {
	PaymentID string `json:"payment_id"`
	Amount    *int64 `json:"amount"`
	Reason    string `json:"reason"`
}

// ReturnInput returns invoice items; a nil Quantity returns all that remain.
type ReturnInput struct {
	Items []struct {
		LineItemID string `json:"line_item_id"`
		Quantity   *int64 `json:"quantity"`
	} `json:"items"`
}

const (
	maxMetadataKeys  = 50
	maxMetadataKey   = 40
	maxMetadataValue = 500
	maxText          = 500
	maxConsentText   = 2000
	maxLineItems     = 100
	maxQuantity      = 10_000
)

func invalid(param, code, format string, args ...any) error {
	return paybridge.Errorf(paybridge.EINVALID, param, format, args...).WithCode(code)
}

// ValidateEmail accepts one bare address as net/mail parses it (no display
// name, no CRLF or other header junk), of at most 254 bytes.
func ValidateEmail(param, email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return invalid(param, "invalid_email", "%s must be a valid email address", param)
	}
	return nil
}

func validateText(param, s string, max int) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return invalid(param, "invalid_string", "%s must be valid UTF-8 of at most %d characters", param, max)
	}
	return nil
}

func validateMetadata(md map[string]string) error {
	if len(md) > maxMetadataKeys {
		return invalid("metadata", "invalid_metadata", "metadata may hold at most %d keys", maxMetadataKeys)
	}
	for k, v := range md {
		if k == "" || utf8.RuneCountInString(k) > maxMetadataKey || !utf8.ValidString(k) {
			return invalid("metadata", "invalid_metadata", "metadata keys must be 1 to %d characters", maxMetadataKey)
		}
		if err := validateText("metadata."+k, v, maxMetadataValue); err != nil {
			return err
		}
	}
	return nil
}

func (in *CustomerInput) validate() error {
	in.Email = strings.TrimSpace(in.Email)
	if in.Email == "" {
		return invalid("email", "parameter_missing", "email is required")
	}
	if err := ValidateEmail("email", in.Email); err != nil {
		return err
	}
	if err := validateText("name", in.Name, 200); err != nil {
		return err
	}
	if err := validateText("phone", in.Phone, 40); err != nil {
		return err
	}
	return validateMetadata(in.Metadata)
}

func (in *InvoiceInput) validate() error {
	if in.CustomerID == "" {
		return invalid("customer_id", "parameter_missing", "customer_id is required")
	}
	if !paybridge.ValidCurrency(in.Currency) {
		return invalid("currency", "invalid_currency", "currency must be a lowercase ISO 4217 code paybridge supports, e.g. \"usd\"")
	}
	if len(in.LineItems) == 0 || len(in.LineItems) > maxLineItems {
		return invalid("line_items", "invalid_line_items", "an invoice needs 1 to %d line items", maxLineItems)
	}
	for i, li := range in.LineItems {
		p := func(f string) string { return "line_items[" + strconv.Itoa(i) + "]." + f }
		if strings.TrimSpace(li.Description) == "" {
			return invalid(p("description"), "parameter_missing", "%s is required", p("description"))
		}
		if err := validateText(p("description"), li.Description, 127); err != nil {
			return err
		}
		if li.Quantity < 1 || li.Quantity > maxQuantity {
			return invalid(p("quantity"), "invalid_quantity", "%s must be between 1 and %d", p("quantity"), maxQuantity)
		}
		if li.UnitAmount < 0 || li.UnitAmount > paybridge.MaxAmount {
			return invalid(p("unit_amount"), "invalid_amount", "%s must be between 0 and %d minor units", p("unit_amount"), paybridge.MaxAmount)
		}
		if li.TaxRateBPS < 0 || li.TaxRateBPS > 10_000 {
			return invalid(p("tax_rate_bps"), "invalid_tax_rate", "%s must be between 0 and 10000 basis points", p("tax_rate_bps"))
		}
	}
	if in.MinimumPartialAmount < 0 || in.MinimumPartialAmount > paybridge.MaxAmount {
		return invalid("minimum_partial_amount", "invalid_amount", "minimum_partial_amount must be between 0 and %d", paybridge.MaxAmount)
	}
	if in.MinimumPartialAmount > 0 && !in.AllowPartial {
		return invalid("minimum_partial_amount", "partial_not_allowed", "minimum_partial_amount needs allow_partial")
	}
	if in.DueDate != "" {
		if _, err := time.Parse(time.DateOnly, in.DueDate); err != nil {
			return invalid("due_date", "invalid_date", "due_date must be a date like 2026-12-31")
		}
	}
	return validateMetadata(in.Metadata)
}

// source resolves the one payment source of a pay or payment request.
func source(token, cardID, tender string) (paybridge.PaymentMethod, string, error) {
	n := 0
	for _, s := range []string{token, cardID, tender} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return "", "", invalid("source", "invalid_source", "give exactly one of source (a clv_ token), card_id or tender")
	}
	switch {
	case token != "":
		if !strings.HasPrefix(token, "clv_") || len(token) > 100 {
			return "", "", invalid("source", "invalid_source", "source must be a clv_ token from Clover's card fields")
		}
		return paybridge.MethodToken, token, nil
	case cardID != "":
		return paybridge.MethodCard, cardID, nil
	case tender == "cash":
		return paybridge.MethodCash, "", nil
	case tender == "check":
		return paybridge.MethodCheck, "", nil
	}
	return "", "", invalid("tender", "invalid_tender", "tender must be \"cash\" or \"check\"")
}
