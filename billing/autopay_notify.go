package billing

import (
	"context"
	"log/slog"

	"github.com/paybridge/paybridge/email"
)

// Notifier mails customers the notices of the collection work: a failed
// charge (with a pay link) and reminders. Set it as Service.Notify.
type Notifier struct {
	Service *Service
	Mail    email.Sender
	// PayLink makes a pay-page link for an invoice.
	PayLink func(ctx context.Context, c Caller, invoiceID string) (string, error)
	// UpdateCardLink makes a single-use link to the page where the
	// customer puts a new card on file (nil: the pay link stands in, as
	// the pay page offers "save this card").
	UpdateCardLink func(ctx context.Context, c Caller, customerID string) (string, error)
	Logger         *slog.Logger
}

// Notify sends the mail of n; failures are logged (a mail never undoes a
// charge or an event).
func (n *Notifier) Notify(ctx context.Context, nt Notice) {
	if n.Mail == nil {
		return
	}
	s := n.Service
	inv, err := s.Store.GetInvoice(ctx, nt.MerchantID, nt.InvoiceID)
	if err != nil {
		n.Logger.Error("notice: invoice", "invoice_id", nt.InvoiceID, "err", err)
		return
	}
	cu, err := s.Store.GetCustomer(ctx, nt.MerchantID, inv.CustomerID)
	if err != nil {
		return
	}
	m, err := s.Store.GetMerchant(ctx, nt.MerchantID)
	if err != nil {
		return
	}
	in := email.InvoiceNotice{To: cu.Email, MerchantName: m.Name, InvoiceNumber: inv.Number, AmountDue: inv.AmountDue(),
		Currency: inv.Currency, DueDate: inv.DueDate}
	if n.PayLink != nil {
		if in.PayURL, err = n.PayLink(ctx, collector(nt.MerchantID), inv.ID); err != nil {
			n.Logger.Error("notice: pay link", "invoice_id", inv.ID, "err", err)
		}
	}
	msg := email.Reminder(in, nt.Offset)
	if nt.Kind == NoticePaymentFailed {
		in.UpdateCardURL = in.PayURL
		if n.UpdateCardLink != nil {
			if u, err := n.UpdateCardLink(ctx, collector(nt.MerchantID), cu.ID); err != nil {
				n.Logger.Error("notice: update-card link", "customer_id", cu.ID, "err", err)
			} else {
				in.UpdateCardURL = u
			}
		}
		msg = email.PaymentFailed(in)
	}
	if err := n.Mail.Send(ctx, msg); err != nil {
		n.Logger.Error("notice: send", "invoice_id", inv.ID, "kind", nt.Kind, "err", err)
	}
}
