package billing

import (
	"context"

	"github.com/paybridge/paybridge"
)

// SettingsInput sets a merchant's reminder and dunning schedules (days).
type SettingsInput struct {
	ReminderDays []int `json:"reminder_days"`
	DunningDays  []int `json:"dunning_days"`
}

// GetBillingSettings returns the merchant's collection policy.
func (s *Service) GetBillingSettings(ctx context.Context, c Caller) (*paybridge.BillingSettings, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.GetBillingSettings(ctx, c.MerchantID)
}

// SetBillingSettings replaces the merchant's schedules. Reminder days lie
// within 60 days of the due date; dunning days are increasing, 1 to 60.
func (s *Service) SetBillingSettings(ctx context.Context, c Caller, in SettingsInput) (*paybridge.BillingSettings, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	if len(in.ReminderDays) > 10 || len(in.DunningDays) > 10 {
		return nil, invalid("reminder_days", "invalid_schedule", "a schedule has at most 10 days")
	}
	for _, d := range in.ReminderDays {
		if d < -60 || d > 60 {
			return nil, invalid("reminder_days", "invalid_schedule", "reminder days must be between -60 and 60")
		}
	}
	for i, d := range in.DunningDays {
		if d < 1 || d > 60 || (i > 0 && d <= in.DunningDays[i-1]) {
			return nil, invalid("dunning_days", "invalid_schedule", "dunning days must increase, between 1 and 60")
		}
	}
	st := &paybridge.BillingSettings{MerchantID: c.MerchantID, ReminderDays: in.ReminderDays, DunningDays: in.DunningDays, UpdatedAt: s.Now().UTC()}
	if err := rs.SetBillingSettings(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}
