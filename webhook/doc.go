// Package webhook signs and sends paybridge's outbound webhooks per the
// Standard Webhooks convention (standardwebhooks.com): headers webhook-id,
// webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>", secrets "whsec_<base64>". During a secret rotation
// both secrets sign, space-separated, so a receiver holding either one
// verifies. It also refuses endpoint URLs that reach private networks
// (SSRF) outside sandbox mode.
package webhook
