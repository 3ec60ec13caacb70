package email

import (
	"fmt"
	"strings"
)

// InvoiceNotice is what a collection mail says about one invoice. It holds
// no card data beyond what a receipt shows.
type InvoiceNotice struct {
	To            string
	MerchantName  string
	InvoiceNumber string
	AmountDue     int64 // minor units
	Currency      string
	DueDate       string // YYYY-MM-DD, may be ""
	PayURL        string
	UpdateCardURL string // "" when there is no update-card page
}

// FormatAmount renders minor units for a mail ("12.34 USD").
func FormatAmount(v int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", v/100, v%100, strings.ToUpper(currency))
}

// PaymentFailed is the mail after a declined subscription or autopay
// charge: pay now, or put a new card on file.
func PaymentFailed(n InvoiceNotice) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nWe could not charge your card on file for invoice %s from %s (%s).\n\n",
		n.InvoiceNumber, n.MerchantName, FormatAmount(n.AmountDue, n.Currency))
	if n.PayURL != "" {
		fmt.Fprintf(&b, "Pay the invoice now: %s\n", n.PayURL)
	}
	if n.UpdateCardURL != "" {
		fmt.Fprintf(&b, "Update the card we charge: %s\n", n.UpdateCardURL)
	}
	b.WriteString("\nWe will try again in a few days. If you have already paid, please ignore this message.\n")
	return Message{To: n.To, Subject: "Payment failed: invoice " + n.InvoiceNumber + " from " + n.MerchantName,
		Text: b.String(), Kind: "payment_failed"}
}

// Reminder is the mail of an unpaid invoice, before, on or after its due
// date (offset days).
func Reminder(n InvoiceNotice, offset int) Message {
	when := "is due today"
	switch {
	case offset < 0:
		when = fmt.Sprintf("is due on %s", n.DueDate)
	case offset > 0:
		when = fmt.Sprintf("was due on %s and is still unpaid", n.DueDate)
	}
	text := fmt.Sprintf("Hello,\n\nInvoice %s from %s (%s) %s.\n\nPay it here: %s\n",
		n.InvoiceNumber, n.MerchantName, FormatAmount(n.AmountDue, n.Currency), when, n.PayURL)
	return Message{To: n.To, Subject: "Reminder: invoice " + n.InvoiceNumber + " from " + n.MerchantName,
		Text: text, Kind: "reminder"}
}
