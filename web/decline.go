package web

// refusalKeys maps refusal codes (the pay page's own, billing's, and
// Clover's error and decline codes) to the message shown to the customer.
// Clover's own text is never shown: it is English only and written for
// developers, and some of it (lost or stolen card) must not be told to
// whoever holds the card.
var refusalKeys = map[string]string{
	"amount_invalid": "err_amount", "amount_too_large": "err_amount_max", "amount_too_small": "err_amount_min",
	"total_changed":       "err_total",
	"partial_not_allowed": "err_amount", "invalid_amount": "err_amount", "invalid_charge_amount": "err_amount",
	"charge_exceeds_source_limit": "decline_funds",
	"tip_invalid":                 "err_tip", "tip_not_allowed": "err_tip", "invalid_tip_amount": "err_tip",
	"token_missing": "err_card", "token_already_used": "err_card", "invalid_source": "err_card",
	"form_expired":        "err_expired_form",
	"payment_in_progress": "err_in_progress",
	"rate_limited":        "err_busy", "rate_limit": "err_busy",
	"invoice_already_paid": "err_paid", "order_already_paid": "err_paid",

	"card_declined": "declined", "do_not_honor": "declined", "generic_decline": "declined",
	"lost_card": "declined", "stolen_card": "declined", "pickup_card": "declined", "fraudulent": "declined",
	"restricted_card": "declined", "partial_approval": "declined", "card_not_supported": "decline_card_type",
	"insufficient_funds": "decline_funds", "card_velocity_exceeded": "decline_funds",
	"expired_card": "decline_expired", "invalid_expiry_month": "decline_expired", "invalid_expiry_year": "decline_expired",
	"incorrect_cvc": "decline_cvc", "invalid_cvc": "decline_cvc",
	"incorrect_number": "decline_number", "invalid_number": "decline_number",
	"incorrect_zip": "decline_postal", "postal_code_invalid": "decline_postal", "incorrect_address": "decline_postal",
	"invalid_card_type": "decline_card_type",

	"merchant_reauthorization_required": "err_unavailable", "clover_unavailable": "err_unavailable",
	"checkout_unavailable": "err_unavailable",
}

// refusalKey is the message key of a refusal code; anything unknown is a
// generic "could not process, not charged".
func refusalKey(code string) string {
	if k, ok := refusalKeys[code]; ok {
		return k
	}
	return "err_processing"
}

// refusal is the friendly, localized text of a refusal code; the amount
// limits name the invoice's minimum and amount due.
func (v *view) refusal(code string) string {
	switch key := refusalKey(code); {
	case v.Inv == nil && (key == "err_amount_min" || key == "err_amount_max"):
		return v.T("err_amount")
	case key == "err_amount_min":
		return v.Tf(key, v.money(minPartial(v.Inv)))
	case key == "err_amount_max":
		return v.Tf(key, v.money(v.Inv.AmountDue()))
	default:
		return v.T(key)
	}
}
