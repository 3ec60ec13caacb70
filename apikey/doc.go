// Package apikey issues and verifies paybridge API keys: JWTs signed with
// Ed25519 (EdDSA) keys held in a Keyring. Each token names its key with a
// kid header, so keys can be rotated without invalidating keys already
// handed to CRMs, and retired when they must stop working. The algorithm is
// pinned on verification, so "none" and HMAC tokens are refused whatever
// their header says. Tokens are never stored or logged; their jti is, for
// revocation.
package apikey
