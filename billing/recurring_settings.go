package billing

import (
	"context"

	"github.com/paybridge/paybridge"
)

// SettingsInput sets a merchant's reminder and dunning schedules (days).
// Absent fields stay as they are; null or [] empties a schedule.
type SettingsInput struct {
	ReminderDays paybridge.Patch[[]int] `json:"reminder_days"`
	DunningDays  paybridge.Patch[[]int] `json:"dunning_days"`
}

// GetBillingSettings returns the merchant's collection policy.
func (s *Service) GetBillingSettings(ctx context.Context, c Caller) (*paybridge.BillingSettings, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.GetBillingSettings(ctx, c.MerchantID)
}

// SetBillingSettings changes the schedules the request names, leaving the
// other as it is. Reminder days lie within 60 days of the due date; dunning
// days are increasing, 1 to 60.
func (s *Service) SetBillingSettings(ctx context.Context, c Caller, in SettingsInput) (*paybridge.BillingSettings, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	cur, err := rs.GetBillingSettings(ctx, c.MerchantID)
	if err != nil {
		return nil, err
	}
	reminders, dunning := in.ReminderDays.Apply(cur.ReminderDays), in.DunningDays.Apply(cur.DunningDays)
	if reminders == nil {
		reminders = []int{} // an empty schedule is [], never null
	}
	if dunning == nil {
		dunning = []int{}
	}
	if len(reminders) > 10 {
		return nil, invalid("reminder_days", "invalid_schedule", "a schedule has at most 10 days")
	}
	if len(dunning) > 10 {
		return nil, invalid("dunning_days", "invalid_schedule", "a schedule has at most 10 days")
	}
	for _, d := range reminders {
		if d < -60 || d > 60 {
			return nil, invalid("reminder_days", "invalid_schedule", "reminder days must be between -60 and 60")
		}
	}
	for i, d := range dunning {
		if d < 1 || d > 60 || (i > 0 && d <= dunning[i-1]) {
			return nil, invalid("dunning_days", "invalid_schedule", "dunning days must increase, between 1 and 60")
		}
	}
	st := &paybridge.BillingSettings{MerchantID: c.MerchantID, ReminderDays: reminders, DunningDays: dunning, UpdatedAt: s.Now().UTC()}
	if err := rs.SetBillingSettings(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}
