package clover

import "fmt"

// Environment selects Clover's sandbox or production hosts. They are separate
// Clover worlds (apps, merchants and keys), so a token from one never works
// in the other.
type Environment string

// Environments.
const (
	Sandbox    Environment = "sandbox"
	Production Environment = "production"
)

// Region selects the Clover data region of production hosts.
type Region string

// Regions: North America, Europe, Latin America.
const (
	RegionNA Region = "na"
	RegionEU Region = "eu"
	RegionLA Region = "la"
)

// URLs are the base URLs (scheme and host, no trailing slash) of each Clover
// host paybridge talks to. Every one is overridable, which is how tests and
// the sandbox point the client at cloversim (where all five are one URL).
type URLs struct {
	// Ecommerce serves /v1/charges, orders, refunds, customers and /pakms.
	Ecommerce string
	// Tokenizer serves /v1/tokens (apikey auth).
	Tokenizer string
	// Web serves the browser-facing /oauth/v2/authorize consent page.
	Web string
	// API serves /oauth/v2/token and refresh, platform /v3, /recurring/v1
	// and hosted checkout.
	API string
	// Checkout serves the iframe sdk.js.
	Checkout string
}

// SDKURL is the iframe SDK script the pay page loads.
func (u URLs) SDKURL() string { return u.Checkout + "/sdk.js" }

// BaseURLs returns Clover's hosts for env and region (CLOVER.md §0).
//
// Clover has one sandbox, in North America; the sandbox hosts are returned
// for every region (UNCONFIRMED that no EU/LA sandbox exists). Production EU
// and LA hosts follow the documented www.eu./www.la. pattern for the web host
// and api.eu./scl.eu. style for the others: only the web hosts are
// documented; the others are UNCONFIRMED guesses and must stay overridable.
func BaseURLs(env Environment, region Region) (URLs, error) {
	switch region {
	case RegionNA, RegionEU, RegionLA:
	default:
		return URLs{}, fmt.Errorf("clover: unknown region %q (want na, eu or la)", region)
	}
	switch env {
	case Sandbox:
		return URLs{
			Ecommerce: "https://scl-sandbox.dev.clover.com",
			Tokenizer: "https://token-sandbox.dev.clover.com",
			Web:       "https://sandbox.dev.clover.com",
			API:       "https://apisandbox.dev.clover.com",
			Checkout:  "https://checkout.sandbox.dev.clover.com",
		}, nil
	case Production:
		if region == RegionNA {
			return URLs{
				Ecommerce: "https://scl.clover.com",
				Tokenizer: "https://token.clover.com",
				Web:       "https://www.clover.com",
				API:       "https://api.clover.com",
				Checkout:  "https://checkout.clover.com",
			}, nil
		}
		r := string(region)
		return URLs{
			Ecommerce: "https://scl." + r + ".clover.com",      // UNCONFIRMED
			Tokenizer: "https://token." + r + ".clover.com",    // UNCONFIRMED
			Web:       "https://www." + r + ".clover.com",      // documented (CLOVER.md §0)
			API:       "https://api." + r + ".clover.com",      // UNCONFIRMED
			Checkout:  "https://checkout." + r + ".clover.com", // UNCONFIRMED
		}, nil
	default:
		return URLs{}, fmt.Errorf("clover: unknown environment %q (want sandbox or production)", env)
	}
}
