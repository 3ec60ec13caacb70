package web

import (
	"context"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// PaySettings returns the caller's pay-page checkout mode and whether a
// hosted-checkout signing secret is set (the secret itself is never shown).
func (s *Server) PaySettings(ctx context.Context, c billing.Caller) (mode string, secretSet bool, err error) {
	ws, err := s.Store.WebSettings(ctx, c.MerchantID)
	if err != nil {
		return "", false, err
	}
	return ws.CheckoutMode, len(ws.SealedHCOSecret) > 0, nil
}

// SetPaySettings changes the caller's checkout mode and/or hosted-checkout
// signing secret (the one Clover's dashboard shows for the merchant's
// hosted-checkout webhook; sealed at rest). Hosted checkout needs a
// secret: without one, its webhooks could not be verified and no payment
// would ever be recorded.
func (s *Server) SetPaySettings(ctx context.Context, c billing.Caller, mode, secret *string) (string, bool, error) {
	ws, err := s.Store.WebSettings(ctx, c.MerchantID)
	if err != nil {
		return "", false, err
	}
	if mode != nil {
		ws.CheckoutMode = *mode
	}
	if secret != nil {
		if n := len(*secret); n < 16 || n > 512 {
			return "", false, paybridge.Errorf(paybridge.EINVALID, "hosted_checkout_secret",
				"hosted_checkout_secret must be 16 to 512 characters").WithCode("invalid_hosted_checkout_secret")
		}
		if ws.SealedHCOSecret, err = SealHCOSecret(s.Sealer, c.MerchantID, *secret); err != nil {
			return "", false, err
		}
	}
	if ws.CheckoutMode == paybridge.CheckoutHosted && len(ws.SealedHCOSecret) == 0 {
		return "", false, paybridge.Errorf(paybridge.EINVALID, "hosted_checkout_secret",
			"hosted checkout needs the merchant's hosted-checkout webhook signing secret").WithCode("hosted_checkout_secret_required")
	}
	ws.UpdatedAt = s.Now()
	if err := s.Store.SetWebSettings(ctx, ws); err != nil {
		return "", false, err
	}
	return ws.CheckoutMode, len(ws.SealedHCOSecret) > 0, nil
}
