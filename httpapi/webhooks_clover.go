package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// CloverWebhooks serves POST /webhooks/clover, Clover's platform webhooks
// (CLOVER.md §6.1): the one-time verification POST, then events that
// carry a static X-Clover-Auth code and no data. Events are accepted
// durably (deduplicated, a sync job queued in the same transaction) and
// answered at once; the job fetches the objects.
type CloverWebhooks struct {
	// AuthCode returns the expected X-Clover-Auth ("" refuses every event).
	AuthCode func() string
	// Accept records the payload and queues its sync, returning how many
	// items were new.
	Accept func(ctx context.Context, p *clover.WebhookPayload) (int, error)
	// SaveVerification stores the verification code for the operator to
	// paste into Clover's dashboard.
	SaveVerification func(ctx context.Context, code string) error
	Logger           *slog.Logger
}

// CloverVerificationSetting names the stored verification code.
const CloverVerificationSetting = "clover_webhook_verification_code"

// Routes registers the public route on rt.
func (c *CloverWebhooks) Routes(rt *Router) {
	rt.HandlePublic("POST /webhooks/clover", c)
}

// ServeHTTP handles one Clover webhook POST.
func (c *CloverWebhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "", "body too large or unreadable").WithCode("invalid_body"))
		return
	}
	var probe struct {
		VerificationCode string                           `json:"verificationCode"`
		AppID            string                           `json:"appId"`
		Merchants        map[string][]clover.WebhookEvent `json:"merchants"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "", "body is not JSON").WithCode("invalid_json"))
		return
	}
	ctx := r.Context()
	if probe.VerificationCode != "" && len(probe.Merchants) == 0 {
		// The verification POST comes before any auth code exists; storing
		// it is harmless (the operator decides whether to paste it).
		if err := c.SaveVerification(ctx, probe.VerificationCode); err != nil {
			WriteError(w, r, err)
			return
		}
		c.Logger.Warn("Clover webhook verification code received: paste it into the app's webhook settings",
			"verification_code", probe.VerificationCode)
		WriteJSON(w, r, http.StatusOK, map[string]any{"received": true})
		return
	}
	want := c.AuthCode()
	got := r.Header.Get("X-Clover-Auth")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "invalid_clover_auth",
			Message: "X-Clover-Auth is missing or wrong."})
		return
	}
	n, err := c.Accept(ctx, &clover.WebhookPayload{AppID: probe.AppID, Merchants: probe.Merchants})
	if err != nil {
		// Clover retries a failed delivery: nothing was committed.
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]any{"received": true, "new_items": n})
}
