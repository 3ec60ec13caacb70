// Package onboarding connects merchants to paybridge (DESIGN.md §3): CRM
// integrations found or created with the platform secret, the Clover OAuth
// v2 connect (single-use server-side state, PKCE), the callback that stores
// the token pair sealed and binds the integration to its first merchant,
// the one-time hand-off of an API key to the CRM, the merchant-facing
// connect pages (English and French) and the upkeep of Clover tokens
// (refresh before expiry, one refresh per merchant at a time, and
// reauthorization when a refresh fails or its outcome is lost).
//
// Every secret that passes through here (OAuth states, PKCE verifiers,
// hand-off codes, Clover tokens, API keys) is stored hashed or sealed,
// compared in constant time, and never logged.
package onboarding
