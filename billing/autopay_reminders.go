package billing

import (
	"context"
	"sort"
	"time"

	"github.com/paybridge/paybridge"
)

// SendReminders sends the reminders of unpaid invoices that fell due on
// each merchant's schedule (days before, on and after the due date). A
// paid or void invoice is never a candidate, so payment or void stops its
// reminders. Each (invoice, day) is sent at most once; when several fell
// due at once (the clock jumped) only the latest is mailed. It returns how
// many were sent.
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	today := now.Format(time.DateOnly)
	const window = 90 * 24 * time.Hour
	cands, err := rs.ReminderCandidates(ctx, now.Add(-window).Format(time.DateOnly), now.Add(window).Format(time.DateOnly), 100)
	if err != nil {
		return 0, err
	}
	settings := map[string]*paybridge.BillingSettings{}
	sent := 0
	for _, c := range cands {
		st := settings[c.MerchantID]
		if st == nil {
			if st, err = rs.GetBillingSettings(ctx, c.MerchantID); err != nil {
				return sent, err
			}
			settings[c.MerchantID] = st
		}
		due, err := time.Parse(time.DateOnly, c.DueDate)
		if err != nil {
			continue
		}
		days := append([]int(nil), st.ReminderDays...)
		sort.Ints(days)
		latest, any := 0, false
		for _, d := range days {
			if due.AddDate(0, 0, d).Format(time.DateOnly) > today {
				break
			}
			fresh, err := rs.MarkReminder(ctx, c.MerchantID, c.InvoiceID, d, now)
			if err != nil {
				return sent, err
			}
			if fresh {
				latest, any = d, true
			}
		}
		if !any {
			continue
		}
		s.notify(ctx, Notice{Kind: NoticeReminder, MerchantID: c.MerchantID, InvoiceID: c.InvoiceID, Offset: latest})
		if es, ok := s.Store.(paybridge.EventStore); ok {
			if inv, err := s.Store.GetInvoice(ctx, c.MerchantID, c.InvoiceID); err == nil {
				ev := eventOf(paybridge.EventInvoiceReminderSent, "invoice", inv.ID, inv.Version, inv)
				ev.MerchantID = inv.MerchantID
				if err := es.RecordEvent(ctx, ev); err != nil {
					s.Logger.Warn("record reminder event", "invoice_id", inv.ID, "err", err)
				}
			}
		}
		sent++
	}
	return sent, nil
}
