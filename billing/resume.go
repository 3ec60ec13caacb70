package billing

import (
	"context"

	"github.com/paybridge/paybridge"
)

// ResumePayment drives one of a merchant's payments on now if it is still
// in flight, as the reconciler would (the same Clover request with the
// payment's own idempotency key, so nothing is charged twice), within
// PaymentWait, and returns it as it then is. It is how an Idempotency-Key
// whose process died is finished (httpapi.Recovery): the retry of the
// request gets the payment's outcome, not a second payment.
func (s *Service) ResumePayment(ctx context.Context, merchantID, id string) (*paybridge.Payment, error) {
	p, err := s.Store.GetPayment(ctx, merchantID, id)
	if err != nil || !p.Status.InFlight() {
		return p, err
	}
	s.reconcilePayment(s.bound(ctx), p)
	return s.Store.GetPayment(ctx, merchantID, id)
}

// ResumeRefund is ResumePayment for a refund.
func (s *Service) ResumeRefund(ctx context.Context, merchantID, id string) (*paybridge.Refund, error) {
	r, err := s.Store.GetRefund(ctx, merchantID, id)
	if err != nil || (r.Status != paybridge.RefundPending && r.Status != paybridge.RefundUnknown) {
		return r, err
	}
	s.reconcileRefund(s.bound(ctx), r)
	return s.Store.GetRefund(ctx, merchantID, id)
}

// PaymentFailure is the error a request for a failed payment was answered
// with, rebuilt from what the payment recorded: a refusal by Clover (402
// with its code), or the merchant's credentials refused (403).
func PaymentFailure(p *paybridge.Payment) error {
	msg := p.FailureMessage
	if msg == "" {
		msg = "Clover refused the payment."
	}
	if p.FailureCode == "merchant_reauthorization_required" {
		return paybridge.Errorf(paybridge.EFORBIDDEN, "", "Clover refused the merchant's credentials; the merchant must reconnect").WithCode(p.FailureCode)
	}
	return paybridge.Errorf(paybridge.EDECLINED, "source", "%s", msg).WithCode(p.FailureCode)
}

// RefundFailure is PaymentFailure for a failed refund.
func RefundFailure(r *paybridge.Refund) error {
	msg := r.FailureMessage
	if msg == "" {
		msg = "Clover refused the refund."
	}
	return paybridge.Errorf(paybridge.EINVALID, "", "%s", msg).WithCode(r.FailureCode)
}
