package paybridge

import (
	"crypto/rand"
	"strings"
)

// ID prefixes of the API's opaque identifiers (DESIGN.md §5).
const (
	PrefixCustomer     = "cus_"
	PrefixInvoice      = "inv_"
	PrefixLineItem     = "li_"
	PrefixPayment      = "pay_"
	PrefixRefund       = "re_"
	PrefixReturn       = "ret_"
	PrefixEvent        = "evt_"
	PrefixEndpoint     = "we_"
	PrefixSubscription = "sub_"
	PrefixPlan         = "plan_"
	PrefixCard         = "card_"
	PrefixMerchant     = "mer_"
	PrefixAudit        = "aud_"
)

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by 24 random base-36 characters (~124 bits),
// enough that ids are unguessable as well as unique.
func NewID(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + len(b))
	sb.WriteString(prefix)
	for _, c := range b {
		sb.WriteByte(idAlphabet[int(c)%len(idAlphabet)])
	}
	return sb.String()
}

// HasPrefix reports whether id looks like an id of the given prefix.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix) && len(id) > len(prefix)
}
