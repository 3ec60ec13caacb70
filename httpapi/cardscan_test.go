package httpapi

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// TestCardScanRefuses lists spellings of test card numbers seen in attacks
// (issue 21) and their neighbours: every one must be found.
func TestCardScanRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"4242424242424242",
		"4242 4242 4242 4242",
		"4242-4242-4242-4242",
		"4242.4242.4242.4242",
		"4242  4242  4242  4242",
		"4242\t4242\t4242\t4242",
		"4242\n4242\n4242\n4242",
		"4242_4242_4242_4242",
		"4242/4242/4242/4242",
		"4242,4242,4242,4242",
		"4242+4242+4242+4242",
		"4242 - 4242 - 4242 - 4242",
		"(4242) 4242-4242-4242",
		"4242\u00a04242\u00a04242\u00a04242",         // no-break spaces
		"4242\u200b4242\u200b4242\u200b4242",         // zero-width spaces
		"4\u200b2\u200b4\u200b2424242424242\u200b42", // zero-width inside groups
		"4242\u00ad4242\u00ad4242\u00ad4242",         // soft hyphens
		"http://h.example/h?c=4242+4242+4242+4242",
		"http://h.example/h?c=4242%204242%204242%204242",
		"http://h.example/h?c=4242%2B4242%2B4242%2B4242",
		"http://h.example/h?c=4242%25204242%25204242%25204242", // encoded twice
		"http://h.example/h?c=%34%32%34%32%34%32%34%32%34%32%34%32%34%32%34%32",
		"http://h.example/h?x=%zz&c=4242%2E4242%2E4242%2E4242", // a bad escape first
		"４２４２４２４２４２４２４２４２",                                     // fullwidth
		"４２４２　４２４２　４２４２　４２４２",                                  // fullwidth, ideographic spaces
		"٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢",                                     // Arabic-Indic
		"४२४२४२४२४२४२४२४२",                                     // Devanagari
		"𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐",                                     // mathematical bold
		"⁴²⁴²⁴²⁴²⁴²⁴²⁴²⁴²",                                     // superscripts
		"④②④②④②④②④②④②④②④②",                                     // circled
		"4２٤2 4242 ४२४२ 4242",                                  // scripts mixed
		"x4242424242424242",
		"x4242424242424242x",
		"card4242424242424242",
		"walker4242424242424242@example.com",
		"4242424242424242123",  // run together with the CVV
		"42424242424242421234", // with a 4-digit CVV
		"4242 4242 4242 4242123",
		"4242 4242 4242 4242 123",
		"4242424242424242/12/28",
		"4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",
		"4  2  4  2  4  2  4  2  4  2  4  2  4  2  4  2",
		"42 42 42 42 42 42 42 42",
		"424 242 424 242 424 2",
		"4242x4242x4242x4242",
		"4242ab4242ab4242ab4242",
		"5555 5555 5555 4444",        // Mastercard
		"2223 0031 2200 3222",        // Mastercard 2-series
		"378282246310005",            // American Express
		"3782 822463 10005",          // Amex, 4-6-5
		"3056 930902 5904",           // Diners, 4-6-4
		"6011.1111.1111.1117",        // Discover
		"3566 0020 2036 0505",        // JCB
		"6200000000000005",           // UnionPay
		"4111-1111-1111-1111",        // Visa
		"ref:4242424242424242abc",    // in a reference
		"inv_4242424242424242abc",    // in an id
		"12 4242 4242 4242 4242",     // after a quantity
		"0.4242424242424242",         // as a fraction
		"x 4242-4242-4242-4242 y",    // in prose
		"card: 5555555555554444.",    // in a sentence
		"4242\u03014242424242424242", // a combining mark
	} {
		if !ContainsCardNumber(s) {
			t.Errorf("ContainsCardNumber(%q) = false, want true", s)
		}
	}
}

// TestCardScanPasses lists ordinary data that looks a little like card
// numbers: none may be refused.
func TestCardScanPasses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"walker17966760920432@example.com", // 14 digits starting with 1: no brand
		"walker1796676092043@example.com",
		"+1 (555) 123-4567",
		"tel:+15551234567",
		"+49 30 123456789",
		"+49 1512 3456789",
		"+44 20 7946 0958",
		"+86 138 0013 8000",
		"+33 6 12 34 56 78",
		"af406094-3790-4188-aea6-e6ea5e3bda50",
		"0762432c-b3f4-40ff-8812-331245678909", // a UUID whose all-digit tail passes Luhn
		"12345678-4411-8812-3312",              // an 8-digit group is no card group
		"5d41402abc4b2a76b9719d911017c592",
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"01HZX3K8Q7N2V5M4B6C9D0E1F2", // a ULID
		"1Z999AA10123456784",         // a UPS tracking number
		"INV-000123",
		"order 2026-000451",
		"ORD1234567890",
		"1733500000000", // a millisecond timestamp
		"2026-12-07T10:30:45.123456Z",
		"2026-12-07 10:30:45.123456",
		"07/12/2026 14:30:45",
		"43.653225, -79.383186",
		"192.168.100.200:8443",
		"qty 4, 12, 8, 100, 25",
		"4242424242424241",        // fails Luhn
		"4222222222222",           // 13-digit Visa: no longer issued, reads as a phone number
		"123456789012",            // a 12-digit reference
		"99999999",                // an amount
		"12345678901234567890123", // a long reference
		"94242424242424242xyz",    // 17 digits starting with 9: no brand
		"DE89 3704 0044 0532 0130 00",
	} {
		if ContainsCardNumber(s) {
			t.Errorf("ContainsCardNumber(%q) = true, want false", s)
		}
	}
}

// TestCardScanFalsePositives measures how often random identifiers clients
// use as idempotency keys and references are refused by chance (the rate
// ContainsCardNumber's doc states): at most 1 in 2,000 of each kind, and
// never a phone number or a millisecond timestamp.
func TestCardScanFalsePositives(t *testing.T) {
	t.Parallel()
	src := rand.NewChaCha8([32]byte{21})
	r := rand.New(src)
	const n = 20000
	counts := map[string]int{}
	b := make([]byte, 16)
	for range n {
		_, _ = src.Read(b)
		u, err := uuid.NewRandomFromReader(src)
		if err != nil {
			t.Fatal(err)
		}
		for kind, s := range map[string]string{
			"uuid":      u.String(),
			"hex":       hex.EncodeToString(b),
			"email":     fmt.Sprintf("walker%d@example.com", r.Int64N(1e12)),
			"phone":     fmt.Sprintf("+%d %d %d", r.IntN(99)+1, r.IntN(1000), r.Int64N(1e9)),
			"timestamp": fmt.Sprint(1_700_000_000_000 + r.Int64N(1e11)),
		} {
			if ContainsCardNumber(s) {
				counts[kind]++
			}
		}
	}
	t.Logf("refused by chance of %d: %v", n, counts)
	for kind, c := range counts {
		limit := n / 2000
		if kind == "phone" || kind == "timestamp" {
			limit = 0
		}
		if c > limit {
			t.Errorf("%d of %d random %s values refused as card numbers, want at most %d", c, n, kind, limit)
		}
	}
}

// TestDigitTable checks digitValue's assumption that the Nd table's ranges
// are whole blocks of ten digits starting at zero.
func TestDigitTable(t *testing.T) {
	t.Parallel()
	for _, rg := range unicode.Nd.R16 {
		if (rg.Hi-rg.Lo+1)%10 != 0 || rg.Stride != 1 {
			t.Errorf("Nd range %U-%U is not whole blocks of ten", rg.Lo, rg.Hi)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if (rg.Hi-rg.Lo+1)%10 != 0 || rg.Stride != 1 {
			t.Errorf("Nd range %U-%U is not whole blocks of ten", rg.Lo, rg.Hi)
		}
	}
	for r, want := range map[rune]byte{'٩': 9, '９': 9, '𝟗': 9, '⁹': 9, '₀': 0, '⑨': 9, '߀': 0} {
		if v, ok := digitValue(r); !ok || v != want {
			t.Errorf("digitValue(%q) = %d, %v; want %d", r, v, ok, want)
		}
	}
}

// cardSeps are separators the fuzz test puts between a card's groups.
var cardSeps = []string{"", " ", "-", ".", "  ", "\t", "_", "/", "+", "%20", "%2B", "\u3000", "\u200b", " - "}

// FuzzContainsCardNumber checks, around any text, that a test card written
// with any separator is found wherever it is put, and that the scan never
// panics on arbitrary input.
func FuzzContainsCardNumber(f *testing.F) {
	for _, s := range []string{"", "abc", "12 34", "%2", "walker1796676092043@example.com", "４２", "x"} {
		f.Add(s, uint8(1), uint16(0))
	}
	f.Fuzz(func(t *testing.T, s string, sep uint8, at uint16) {
		_ = ContainsCardNumber(s)
		if !utf8.ValidString(s) {
			return
		}
		i := int(at) % (len(s) + 1)
		for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
			i--
		}
		card := strings.Join([]string{"4242", "4242", "4242", "4242"}, cardSeps[int(sep)%len(cardSeps)])
		if in := s[:i] + " " + card + " " + s[i:]; !ContainsCardNumber(in) {
			t.Errorf("card lost in %q", in)
		}
	})
}
