package clover

// Wire types of Clover's APIs, shaped after CLOVER.md. The client decodes
// into them and cloversim encodes from them, and the recorded and
// documented payloads of testdata/conformance pin both to Clover's answers
// (TestConformance, TestGoldenShapes). Amounts are integer minor units; `created`
// fields are Unix milliseconds; ids are 13 upper-case characters.

// ValidID reports whether s has the shape of a Clover id (a merchant's, an
// employee's): 13 characters of A-Z and 0-9.
func ValidID(s string) bool {
	if len(s) != 13 {
		return false
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// List is the ecommerce list envelope {"object":"list","url","data",...}.
type List[T any] struct {
	Object  string `json:"object"`
	URL     string `json:"url,omitempty"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
}

// Card is a card `source` as Clover returns it on tokens, charges and orders.
type Card struct {
	ID              string `json:"id,omitempty"`
	Brand           string `json:"brand,omitempty"` // VISA MC AMEX DISCOVER DINERS_CLUB JCB
	First6          string `json:"first6,omitempty"`
	Last4           string `json:"last4,omitempty"`
	ExpMonth        string `json:"exp_month,omitempty"`
	ExpYear         string `json:"exp_year,omitempty"`
	Name            string `json:"name,omitempty"`
	AddressZip      string `json:"address_zip,omitempty"`
	AddressZipCheck string `json:"address_zip_check,omitempty"`
	CVCCheck        string `json:"cvc_check,omitempty"`
	Country         string `json:"country,omitempty"`
	Funding         string `json:"funding,omitempty"`
	Fingerprint     string `json:"fingerprint,omitempty"`
}

// Outcome is a charge's network outcome.
type Outcome struct {
	NetworkStatus string `json:"network_status,omitempty"` // approved_by_network, declined_by_network
	Type          string `json:"type,omitempty"`           // authorized, issuer_declined
}

// StoredCredentials marks a card-on-file charge (CLOVER.md §1.1).
type StoredCredentials struct {
	Sequence    string `json:"sequence"`               // FIRST | SUBSEQUENT
	IsScheduled bool   `json:"is_scheduled,omitempty"` // recurring or autopay
	Initiator   string `json:"initiator"`              // CARDHOLDER | MERCHANT
}

// Tender names an alternate tender (cash, check) for source "alternate_tender".
type Tender struct {
	LabelKey string `json:"label_key"` // com.clover.tender.cash | com.clover.tender.check
}

// Tender label keys.
const (
	TenderCash  = "com.clover.tender.cash"
	TenderCheck = "com.clover.tender.check"
)

// SourceAlternateTender is the charge source for cash and check.
const SourceAlternateTender = "alternate_tender"

// Charge is an ecommerce charge.
type Charge struct {
	ID                  string             `json:"id"`
	Object              string             `json:"object,omitempty"`
	Amount              int64              `json:"amount"`
	AmountCaptured      int64              `json:"amount_captured"`
	AmountRefunded      int64              `json:"amount_refunded"`
	TaxAmount           int64              `json:"tax_amount,omitempty"`
	TipAmount           int64              `json:"tip_amount,omitempty"`
	Currency            string             `json:"currency"`
	Created             int64              `json:"created"`
	Captured            bool               `json:"captured"`
	Paid                bool               `json:"paid"`
	Refunded            bool               `json:"refunded"`
	Status              string             `json:"status"` // succeeded | pending | failed
	RefNum              string             `json:"ref_num,omitempty"`
	AuthCode            string             `json:"auth_code,omitempty"`
	Outcome             *Outcome           `json:"outcome,omitempty"`
	Source              *Card              `json:"source,omitempty"`
	Customer            string             `json:"customer,omitempty"`
	Order               string             `json:"order,omitempty"`
	Description         string             `json:"description,omitempty"`
	ExternalReferenceID string             `json:"external_reference_id,omitempty"`
	ReceiptEmail        string             `json:"receipt_email,omitempty"`
	Metadata            map[string]string  `json:"metadata,omitempty"`
	FailureCode         string             `json:"failure_code,omitempty"`
	FailureMessage      string             `json:"failure_message,omitempty"`
	StoredCredentials   *StoredCredentials `json:"stored_credentials,omitempty"`
	Ecomind             string             `json:"ecomind,omitempty"`
	Tender              *Tender            `json:"tender,omitempty"`
	WarningMessage      string             `json:"warning_message,omitempty"`
}

// ChargeParams is the body of POST /v1/charges.
type ChargeParams struct {
	Amount                    int64              `json:"amount"`
	Currency                  string             `json:"currency"`
	Source                    string             `json:"source"` // clv_ token, customer id, multi-pay token or "alternate_tender"
	Capture                   *bool              `json:"capture,omitempty"`
	TaxAmount                 int64              `json:"tax_amount,omitempty"`
	TipAmount                 int64              `json:"tip_amount,omitempty"`
	TaxRateUUID               string             `json:"tax_rate_uuid,omitempty"`
	Description               string             `json:"description,omitempty"`
	Ecomind                   string             `json:"ecomind,omitempty"`
	ExternalReferenceID       string             `json:"external_reference_id,omitempty"` // ≤ 12 chars
	ExternalCustomerReference string             `json:"external_customer_reference,omitempty"`
	ReceiptEmail              string             `json:"receipt_email,omitempty"`
	Metadata                  map[string]string  `json:"metadata,omitempty"`
	StoredCredentials         *StoredCredentials `json:"stored_credentials,omitempty"`
	Tender                    *Tender            `json:"tender,omitempty"`
}

// CaptureParams is the optional body of POST /v1/charges/{id}/capture.
type CaptureParams struct {
	Amount       int64  `json:"amount,omitempty"` // 0: the full authorized amount
	ReceiptEmail string `json:"receipt_email,omitempty"`
}

// ChargeListParams filters GET /v1/charges.
type ChargeListParams struct {
	Limit         int    // 1–100, Clover's default 10
	StartingAfter string // charge id
	EndingBefore  string
	CreatedGTE    int64 // ms; 0 = unset
	CreatedLT     int64
	Customer      string
}

// TaxRate is a tax rate on an order item: by uuid, or by rate and name.
// Rate is in units of 1/100,000 percent: 1,000,000 = 10%.
type TaxRate struct {
	Name        string `json:"name,omitempty"`
	TaxRateUUID string `json:"tax_rate_uuid,omitempty"`
	Rate        int64  `json:"rate,omitempty"`
}

// OrderItem is one line of an ecommerce order. For `sku` items Amount is the
// unit amount; `tax` and `shipping` items carry their total in Amount. Parent
// is the inventory item id (assigned by Clover for custom items) that returns
// refer to. The docs' order-create example has no `parent`; it appears in
// the recorded order pay response (CLOVER.md §13.4), so a created order's
// items may lack it.
type OrderItem struct {
	Type        string    `json:"type,omitempty"` // sku | tax | shipping
	Parent      string    `json:"parent,omitempty"`
	Quantity    int64     `json:"quantity,omitempty"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency,omitempty"`
	Description string    `json:"description,omitempty"`
	TaxRates    []TaxRate `json:"tax_rates,omitempty"`
}

// Order is an ecommerce order. Amount is the sum of its sku items, TaxAmount
// the tax on top: paying the order charges Amount + TaxAmount.
type Order struct {
	ID                string            `json:"id"`
	Object            string            `json:"object,omitempty"`
	Amount            int64             `json:"amount"`
	TaxAmount         int64             `json:"tax_amount"`
	AmountPaid        int64             `json:"amount_paid,omitempty"`
	TaxAmountPaid     int64             `json:"tax_amount_paid,omitempty"`
	AmountReturned    int64             `json:"amount_returned"`
	Currency          string            `json:"currency"`
	Created           int64             `json:"created"`
	Email             string            `json:"email,omitempty"`
	Customer          string            `json:"customer,omitempty"`
	Items             []OrderItem       `json:"items"`
	Status            string            `json:"status"` // created | paid | returned
	StatusTransitions map[string]int64  `json:"status_transitions,omitempty"`
	Charge            string            `json:"charge,omitempty"`
	RefNum            string            `json:"ref_num,omitempty"`
	AuthCode          string            `json:"auth_code,omitempty"`
	Source            *Card             `json:"source,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	Returns           []string          `json:"returns,omitempty"`
}

// OrderParams is the body of POST /v1/orders.
type OrderParams struct {
	Currency string            `json:"currency"`
	Email    string            `json:"email,omitempty"`
	Customer string            `json:"customer,omitempty"`
	Items    []OrderItem       `json:"items"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// PayOrderParams is the body of POST /v1/orders/{id}/pay.
type PayOrderParams struct {
	Source              string             `json:"source,omitempty"`
	Customer            string             `json:"customer,omitempty"`
	Email               string             `json:"email,omitempty"`
	TipAmount           int64              `json:"tip_amount,omitempty"`
	Ecomind             string             `json:"ecomind,omitempty"`
	ExternalReferenceID string             `json:"external_reference_id,omitempty"`
	Metadata            map[string]string  `json:"metadata,omitempty"`
	Tender              *Tender            `json:"tender,omitempty"`
	StoredCredentials   *StoredCredentials `json:"stored_credentials,omitempty"`
}

// ReturnItem names an order item (by Parent) and how many of it came back.
type ReturnItem struct {
	Parent   string `json:"parent"`
	Quantity int64  `json:"quantity,omitempty"` // 0: all of it
}

// ReturnParams is the body of POST /v1/orders/{id}/returns; no items returns
// the whole order.
type ReturnParams struct {
	Items []ReturnItem `json:"items,omitempty"`
}

// OrderReturn is the result of an order return. In the recorded response
// {"id","amount","amount_returned","currency":"USD","status":"returned",
// "status_transitions":{}} the id is the order's own id and there is no
// order, refund or object field (CLOVER.md §13.3); the other fields are
// kept for answers that carry them.
type OrderReturn struct {
	ID                string           `json:"id"`
	Object            string           `json:"object,omitempty"`
	Amount            int64            `json:"amount"`
	AmountReturned    int64            `json:"amount_returned"`
	Currency          string           `json:"currency"`
	Order             string           `json:"order,omitempty"`
	Refund            string           `json:"refund,omitempty"`
	Items             []ReturnItem     `json:"items,omitempty"`
	Status            string           `json:"status"` // returned
	Created           int64            `json:"created,omitempty"`
	StatusTransitions map[string]int64 `json:"status_transitions"`
}

// Refund is an ecommerce refund.
type Refund struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object,omitempty"`
	Amount              int64             `json:"amount"`
	Charge              string            `json:"charge"`
	Currency            string            `json:"currency,omitempty"`
	Created             int64             `json:"created"`
	Status              string            `json:"status"` // succeeded | failed | pending | canceled
	Reason              string            `json:"reason,omitempty"`
	Description         string            `json:"description,omitempty"`
	ExternalReferenceID string            `json:"external_reference_id,omitempty"`
	FailureReason       string            `json:"failure_reason,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
}

// RefundParams is the body of POST /v1/refunds.
type RefundParams struct {
	Charge              string            `json:"charge"`
	Amount              int64             `json:"amount,omitempty"` // 0: what remains
	Reason              string            `json:"reason,omitempty"` // duplicate | fraudulent | requested_by_customer
	ExternalReferenceID string            `json:"external_reference_id,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
}

// Customer is an ecommerce customer; Sources.Data holds card ids, not objects.
type Customer struct {
	ID        string            `json:"id"`
	Object    string            `json:"object,omitempty"`
	Created   int64             `json:"created"`
	Currency  string            `json:"currency,omitempty"`
	Email     string            `json:"email"`
	Name      string            `json:"name,omitempty"`
	FirstName string            `json:"firstName,omitempty"`
	LastName  string            `json:"lastName,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Sources   *List[string]     `json:"sources,omitempty"`
	Shipping  *Shipping         `json:"shipping,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

// Shipping is a customer's shipping contact.
type Shipping struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// CustomerParams is the body of POST /v1/customers and PUT /v1/customers/{id}.
type CustomerParams struct {
	Email     string    `json:"email,omitempty"`
	Source    string    `json:"source,omitempty"` // clv_ token to save as a card
	Name      string    `json:"name,omitempty"`
	FirstName string    `json:"firstName,omitempty"`
	LastName  string    `json:"lastName,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Shipping  *Shipping `json:"shipping,omitempty"`
	Ecomind   string    `json:"ecomind,omitempty"`
}

// DeletedCard is the answer to DELETE /v1/customers/{id}/sources/{cardId}.
type DeletedCard struct {
	Deleted bool   `json:"deleted"`
	ID      string `json:"id"`
	Object  string `json:"object"` // deletedcard
}

// PAKMSKey is the merchant's public key for the iframe and tokenizer.
type PAKMSKey struct {
	Active           bool   `json:"active"`
	APIAccessKey     string `json:"apiAccessKey"`
	CreatedTime      int64  `json:"createdTime"`
	DeveloperAppUUID string `json:"developerAppUuid"`
	MerchantUUID     string `json:"merchantUuid"`
	ModifiedTime     int64  `json:"modifiedTime"`
}

// CardDetails is raw card data sent to the tokenizer (all strings, as Clover
// wants). It exists for the tokenizer only; paybridge never handles it.
type CardDetails struct {
	Number         string `json:"number,omitempty"`
	ExpMonth       string `json:"exp_month"`
	ExpYear        string `json:"exp_year"`
	CVV            string `json:"cvv,omitempty"`
	Brand          string `json:"brand,omitempty"`
	First6         string `json:"first6,omitempty"`
	Last4          string `json:"last4,omitempty"`
	Name           string `json:"name,omitempty"`
	AddressLine1   string `json:"address_line1,omitempty"`
	AddressZip     string `json:"address_zip,omitempty"`
	AddressCountry string `json:"address_country,omitempty"`
}

// TokenParams is the body of POST /v1/tokens.
type TokenParams struct {
	Card *CardDetails `json:"card"`
}

// Token is a single-use `clv_` card token.
type Token struct {
	ID       string `json:"id"`
	Object   string `json:"object,omitempty"` // token
	Card     *Card  `json:"card,omitempty"`
	Created  int64  `json:"created,omitempty"`
	Type     string `json:"type,omitempty"` // card
	Used     bool   `json:"used"`
	ClientIP string `json:"client_ip,omitempty"`
	Livemode bool   `json:"livemode"`
}

// OAuthToken is the answer of /oauth/v2/token and /oauth/v2/refresh.
// Expirations are Unix seconds.
type OAuthToken struct {
	AccessToken            string `json:"access_token"`
	AccessTokenExpiration  int64  `json:"access_token_expiration"`
	RefreshToken           string `json:"refresh_token,omitempty"`
	RefreshTokenExpiration int64  `json:"refresh_token_expiration,omitempty"`
}

// Plan is a recurring plan. Interval is DAY | WEEK | MONTH | YEAR; times are
// strings such as "2023-09-19T10:02:59.476+0000".
type Plan struct {
	ID             string   `json:"id"`
	Object         string   `json:"object,omitempty"`
	Name           string   `json:"name"`
	Amount         int64    `json:"amount"`
	Active         bool     `json:"active"`
	Interval       string   `json:"interval"`
	IntervalCount  int      `json:"intervalCount"`
	Note           string   `json:"note,omitempty"`
	TaxRateUUIDs   []string `json:"taxRateUuids,omitempty"`
	TipAmount      int64    `json:"tipAmount,omitempty"`
	CreatedTime    string   `json:"createdTime,omitempty"`
	ModifiedTime   string   `json:"modifiedTime,omitempty"`
	MerchantID     string   `json:"merchantId,omitempty"`
	DeveloperAppID string   `json:"developerAppId,omitempty"`
	// DeletedTime is set on the answer to DELETE /plans/{id}.
	DeletedTime string `json:"deletedTime,omitempty"`
}

// PlanParams is the body of POST /recurring/v1/plans and PUT /plans/{id}.
type PlanParams struct {
	Name          string   `json:"name,omitempty"`
	Amount        int64    `json:"amount,omitempty"`
	Interval      string   `json:"interval,omitempty"`
	IntervalCount int      `json:"intervalCount,omitempty"`
	Note          string   `json:"note,omitempty"`
	TaxRateUUIDs  []string `json:"taxRateUuids,omitempty"`
	TipAmount     int64    `json:"tipAmount,omitempty"`
	Active        *bool    `json:"active,omitempty"`
}

// Subscription is a customer's subscription to a plan. Each run generates
// an invoice (an ecommerce order of the customer) and pays it with the card
// on file; it deactivates after 5 failed invoice payments (CLOVER.md §13.9).
// Nothing on the order or charge names the subscription (billing's
// recurring_match.go finds runs by documented fields).
type Subscription struct {
	ID               string   `json:"id"`
	Object           string   `json:"object,omitempty"`
	CustomerUUID     string   `json:"customerUuid"`
	CollectionMethod string   `json:"collectionMethod"`
	Active           bool     `json:"active"`
	Amount           int64    `json:"amount"`
	Total            int64    `json:"total"`
	TipAmount        int64    `json:"tipAmount,omitempty"`
	Note             string   `json:"note,omitempty"`
	TaxRateUUIDs     []string `json:"taxRateUuids,omitempty"`
	StartDate        string   `json:"startDate,omitempty"`
	EndDate          string   `json:"endDate,omitempty"`
	LastRunDate      string   `json:"lastRunDate,omitempty"`
	CreatedTime      string   `json:"createdTime,omitempty"`
	ModifiedTime     string   `json:"modifiedTime,omitempty"`
	Plan             *Plan    `json:"plan,omitempty"`
	// DeletedTime is set on the answer to DELETE /subscriptions/{id}.
	DeletedTime string `json:"deletedTime,omitempty"`
	// FailureCount is cloversim's count of consecutive failed runs (UNCONFIRMED
	// on the wire; Clover deactivates at 5).
	FailureCount int `json:"failureCount,omitempty"`
}

// SubscriptionParams is the body of POST /recurring/v1/plans/{planId}/subscriptions
// and PUT /recurring/v1/subscriptions/{id}.
type SubscriptionParams struct {
	CustomerID       string   `json:"customerId,omitempty"`
	CollectionMethod string   `json:"collectionMethod,omitempty"` // CHARGE_AUTOMATICALLY
	StartDate        string   `json:"startDate,omitempty"`
	EndDate          string   `json:"endDate,omitempty"`
	Amount           int64    `json:"amount,omitempty"`
	TipAmount        int64    `json:"tipAmount,omitempty"`
	Note             string   `json:"note,omitempty"`
	TaxRateUUIDs     []string `json:"taxRateUuids,omitempty"`
	Active           *bool    `json:"active,omitempty"`
}

// CheckoutParams is the body of POST /invoicingcheckoutservice/v1/checkouts.
type CheckoutParams struct {
	Customer     *CheckoutCustomer `json:"customer,omitempty"`
	ShoppingCart CheckoutCart      `json:"shoppingCart"`
	RedirectURLs *RedirectURLs     `json:"redirectUrls,omitempty"`
}

// CheckoutCustomer is the payer of a hosted checkout.
type CheckoutCustomer struct {
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Email       string `json:"email,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// CheckoutCart holds a hosted checkout's lines.
type CheckoutCart struct {
	LineItems []CheckoutLineItem `json:"lineItems"`
}

// CheckoutLineItem is one line of a hosted checkout; Price is per unit.
type CheckoutLineItem struct {
	Name        string `json:"name,omitempty"`
	Price       int64  `json:"price"`
	UnitQty     int64  `json:"unitQty"`
	Note        string `json:"note,omitempty"`
	ItemRefUUID string `json:"itemRefUuid,omitempty"`
}

// RedirectURLs are where hosted checkout sends the customer back (HTTPS).
type RedirectURLs struct {
	Success string `json:"success,omitempty"`
	Failure string `json:"failure,omitempty"`
	Cancel  string `json:"cancel,omitempty"`
}

// CheckoutSession is a created hosted checkout (expires after 15 minutes).
// The docs call its times Unix time; a third party saw ISO-8601 strings
// (CLOVER.md §7, §13.5): Millis decodes both.
type CheckoutSession struct {
	Href              string `json:"href"`
	CheckoutSessionID string `json:"checkoutSessionId"`
	CreatedTime       Millis `json:"createdTime"`
	ExpirationTime    Millis `json:"expirationTime"`
}

// Elements is the platform v3 list envelope.
type Elements[T any] struct {
	Elements []T `json:"elements"`
}

// Merchant is a platform v3 merchant.
//
// The recorded answer (CLOVER.md §13.6) is {href, id, name, owner{href,id},
// address{href}, merchantPlan{id}, createdTime, gateway, tenders, …} with
// no currency or defaultCurrency: a merchant's currency is configuration
// (onboarding.Currencies).
type Merchant struct {
	Href         string           `json:"href,omitempty"`
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Owner        *V3Link          `json:"owner,omitempty"`
	Address      *MerchantAddress `json:"address,omitempty"` // {href} alone unless the read asked for expand=address
	MerchantPlan *Ref             `json:"merchantPlan,omitempty"`
	CreatedTime  int64            `json:"createdTime,omitempty"`
	Email        string           `json:"email,omitempty"`
	Phone        string           `json:"phoneNumber,omitempty"`
	Website      string           `json:"website,omitempty"`
}

// V3Link is a platform v3 reference to another object or sub-resource:
// {"href": …} and, for objects, {"id": …}.
type V3Link struct {
	Href string `json:"href,omitempty"`
	ID   string `json:"id,omitempty"`
}

// MerchantAddress is a merchant's business address
// (/v3/merchants/{mId}/address; expanded in the merchant read). The field
// names are those of Clover's v3 Address object in its API reference;
// CLOVER.md records only address{href}, so they are UNCONFIRMED there.
type MerchantAddress struct {
	Href        string `json:"href,omitempty"`
	Address1    string `json:"address1,omitempty"`
	Address2    string `json:"address2,omitempty"`
	Address3    string `json:"address3,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Zip         string `json:"zip,omitempty"`
	Country     string `json:"country,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// Ref is a platform v3 reference {"id": …}.
type Ref struct {
	ID string `json:"id"`
}

// V3Refund is a refund as the platform v3 payment read embeds it.
type V3Refund struct {
	ID          string `json:"id"`
	Amount      int64  `json:"amount"`
	CreatedTime int64  `json:"createdTime"`
	Payment     *Ref   `json:"payment,omitempty"`
}

// V3Payment is a platform v3 payment (the same money as an ecommerce charge,
// seen from the merchant's books; its id equals the charge id).
type V3Payment struct {
	ID                  string              `json:"id"`
	Amount              int64               `json:"amount"`
	TipAmount           int64               `json:"tipAmount,omitempty"`
	TaxAmount           int64               `json:"taxAmount,omitempty"`
	Result              string              `json:"result"` // SUCCESS | FAIL | AUTH | VOIDED
	Order               *Ref                `json:"order,omitempty"`
	CreatedTime         int64               `json:"createdTime"`
	Refunds             *Elements[V3Refund] `json:"refunds,omitempty"`
	ExternalReferenceID string              `json:"externalReferenceId,omitempty"`
}

// V3Order is a platform v3 order.
type V3Order struct {
	ID           string               `json:"id"`
	Total        int64                `json:"total"`
	Currency     string               `json:"currency,omitempty"`
	State        string               `json:"state,omitempty"`        // OPEN | LOCKED (recorded upper case, CLOVER.md §13.6)
	PaymentState string               `json:"paymentState,omitempty"` // OPEN | PAID | REFUNDED | PARTIALLY_REFUNDED
	CreatedTime  int64                `json:"createdTime"`
	Payments     *Elements[V3Payment] `json:"payments,omitempty"`
}

// V3TaxRate is a merchant's tax rate (/v3/merchants/{mId}/tax_rates). Rate is
// in units of 1/100,000 percent.
type V3TaxRate struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Rate      int64  `json:"rate"`
	IsDefault bool   `json:"isDefault"`
}

// WebhookEvent is one change in a platform webhook: ObjectID is prefixed with
// the object kind ("P:" payment, "O:" order, "A:" app, ...).
type WebhookEvent struct {
	ObjectID string `json:"objectId"`
	Type     string `json:"type"` // CREATE | UPDATE | DELETE
	TS       int64  `json:"ts"`
}

// WebhookPayload is the body of a platform webhook. It carries no object
// data: the receiver fetches each object over REST.
type WebhookPayload struct {
	AppID     string                    `json:"appId"`
	Merchants map[string][]WebhookEvent `json:"merchants"`
}

// VerificationPayload is the one-time POST that proves the callback URL.
type VerificationPayload struct {
	VerificationCode string `json:"verificationCode"`
}

// CheckoutWebhook is a hosted-checkout webhook body. Its key casing is
// UNCONFIRMED; cloversim can emit other casings.
type CheckoutWebhook struct {
	CreatedTime int64  `json:"CreatedTime"`
	Message     string `json:"Message"`
	Status      string `json:"Status"` // APPROVED | DECLINED
	Type        string `json:"Type"`   // PAYMENT
	ID          string `json:"Id"`
	MerchantID  string `json:"MerchantId"`
	Data        string `json:"Data"` // checkout session id
}

// ErrorBody is Clover's error envelope: a top-level message "<status> <reason>"
// and the details in Error (absent on a bare 401).
type ErrorBody struct {
	Message string       `json:"message"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// V3ErrorBody is the platform v3 error: {"details":"Customer not found",
// "message":"Not Found"} (recorded, CLOVER.md §13.6).
type V3ErrorBody struct {
	Details string `json:"details"`
	Message string `json:"message"`
}

// ErrorDetail is the `error` object of the envelope.
type ErrorDetail struct {
	Type        string `json:"type,omitempty"`
	Code        string `json:"code,omitempty"`
	Message     string `json:"message,omitempty"`
	Charge      string `json:"charge,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
	DocURL      string `json:"doc_url,omitempty"`
	Param       string `json:"param,omitempty"`
}
