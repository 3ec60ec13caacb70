package httpapi

import (
	"strings"
	"unicode"
)

// ContainsCardNumber reports whether s holds something that reads as a
// primary account number, however it is spelled. It is the one detector for
// every input paybridge stores (bodies, paths, queries, Idempotency-Key,
// X-Request-Id), so a refusal is the same everywhere.
//
// The rule, in three steps:
//
//  1. Normalise. Any Unicode decimal digit (fullwidth, Arabic-Indic,
//     mathematical, …) and the digits NFKC folds to ASCII (superscripts,
//     subscripts, circled and parenthesised digits) count as digits. Marks
//     and format characters (zero-width spaces, combining accents) are
//     skipped as if absent. Text with percent escapes is also scanned
//     decoded, up to three rounds ("%20", "%2520"); '+' is a separator
//     either way, so URL query values cannot hide a number.
//  2. Group. Digits separated by up to three other characters that are not
//     letters (spaces, tabs, ".", "_", "/", "-", "+", "%20" decoded, …) are
//     one chain of groups; a letter between digits ends the chain, except
//     that 4-digit groups joined by at most two characters of any kind
//     ("4242x4242x4242x4242") still chain. A letter or anything else before
//     or after the digits does not protect them ("x4242…").
//  3. Match. A candidate starts at the first digit of a group and spans
//     whole groups laid out as card numbers are written (groups of one
//     length from 1 to 6, as in "4242 4242 …", "42 42 …" or "4 2 4 2 …", or
//     Amex/Diners' 4-6-5 and 4-6-4), ending at a group's end or up to four
//     digits before it (the number run together with its CVV,
//     "4242424242424242123"). It is a card when its leading digits are a
//     known brand's IIN range, its length is one that brand issues, and it
//     passes the Luhn check.
//
// The trade-off: the IIN and length rules are what let ordinary numbers
// through: an e-mail such as walker17966760920432@example.com (a 14-digit
// run starting with 1, which no brand issues), phone numbers (E.164 has at
// most 15 digits and no brand issues 13-digit numbers any more, so 13-digit
// Visa is not matched), millisecond timestamps (13 digits starting with 1),
// UUIDs (their 8-4-4-4-12 layout never forms a card-shaped run of 13
// digits). What is still refused by chance is a digit run of 14 to 23
// digits that happens to start with a brand's range and pass Luhn: roughly
// one random 32-hex token in 10,000 (measured by TestCardScanFalsePositives),
// which is why loadtest regenerates such keys. What is not caught: digits
// put in front of the number ("94242…", as the start of a run is not
// searched inside), numbers spelled as words, or separators longer than
// three characters; a scan that caught those would refuse ordinary
// reference numbers.
func ContainsCardNumber(s string) bool {
	if scanCards(s) {
		return true
	}
	for range 3 {
		if !strings.Contains(s, "%") {
			return false
		}
		d := percentDecode(s)
		if d == s {
			return false
		}
		if scanCards(d) {
			return true
		}
		s = d
	}
	return false
}

// maxGap is the most characters (not letters, not digits) that may stand
// between two digit groups of one number.
const maxGap = 3

// chain is the digits of one run of groups and where the groups end.
type chain struct {
	digits []byte // 0–9 values, not ASCII
	groups []int  // digit count of each group
	letter []bool // letter[i]: a letter stood between group i and i+1
}

func (c *chain) reset() { c.digits, c.groups, c.letter = c.digits[:0], c.groups[:0], c.letter[:0] }

// scanCards walks s once, building chains and testing each as it ends.
func scanCards(s string) bool {
	var c chain
	gap, gapLetter := 0, false // characters since the last digit
	for _, r := range s {
		d, isDigit := digitValue(r)
		if !isDigit {
			switch {
			case r < 0x80:
				gap++
				gapLetter = gapLetter || r|0x20 >= 'a' && r|0x20 <= 'z'
			case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
				// zero-width: does not separate anything
			case unicode.IsLetter(r):
				gap++
				gapLetter = true
			default:
				gap++
			}
			continue
		}
		if len(c.groups) > 0 && gap > 0 {
			last := c.groups[len(c.groups)-1]
			switch {
			case gap <= maxGap && !gapLetter:
				c.groups = append(c.groups, 0)
				c.letter = append(c.letter, false)
			case gap <= 2 && last == 4:
				c.groups = append(c.groups, 0)
				c.letter = append(c.letter, true)
			default:
				if c.hasCard() {
					return true
				}
				c.reset()
			}
		}
		if len(c.groups) == 0 {
			c.groups = append(c.groups, 0)
		}
		c.digits = append(c.digits, d)
		c.groups[len(c.groups)-1]++
		gap, gapLetter = 0, false
	}
	return c.hasCard()
}

// hasCard tries every candidate of the chain (see ContainsCardNumber). For
// each starting group a it extends the candidate group by group, keeping
// what the layout rules need (letters crossed, whether the middle groups
// have the first group's length), so a chain of many short groups costs
// linear time.
func (c *chain) hasCard() bool {
	off := 0
	for a, k := range c.groups {
		n := 0                   // digits of groups a..b-1
		letters := false         // a letter stands between two of groups a..b
		same, four := true, true // groups a+1..b-1 have k digits; groups a..b-1 have 4
		for b := a; b < len(c.groups) && n < 19; b++ {
			g := c.groups[b]
			if b > a {
				letters = letters || c.letter[b-1]
			}
			for cut := 0; cut <= 4 && cut < g; cut++ {
				l, tail := n+g-cut, g-cut
				var laidOut bool
				switch {
				case a == b:
					laidOut = true
				case letters: // only whole 4-digit groups chain across letters
					laidOut = four && g == 4 && cut == 0
				case b-a == 2 && k == 4 && c.groups[a+1] == 6: // Amex 4-6-5, Diners 4-6-4
					laidOut = tail <= 5
				default:
					laidOut = k <= 6 && same && tail <= max(k, 4)
				}
				if laidOut && l >= 12 && l <= 19 && isCard(c.digits[off:off+l]) {
					return true
				}
			}
			if b > a {
				same = same && g == k
			}
			four = four && g == 4
			n += g
		}
		off += k
	}
	return false
}

// isCard reports whether d (digit values) is a number some brand issues:
// its IIN range and length match and it passes the Luhn check.
func isCard(d []byte) bool {
	return brandLength(d) && luhn(d)
}

// iin is a brand's range of leading digits and the lengths it issues.
type iin struct {
	lo, hi   int // inclusive range of the first digits digits
	digits   int
	min, max int
}

// iins lists the brands Clover takes (Visa, Mastercard, Amex, Discover,
// Diners, JCB, UnionPay) plus Maestro's common ranges. Visa's 13-digit
// numbers are no longer issued and are left out: they would match phone
// numbers.
var iins = []iin{
	{4, 4, 1, 16, 16}, {4, 4, 1, 19, 19}, // Visa
	{51, 55, 2, 16, 16}, {2221, 2720, 4, 16, 16}, // Mastercard
	{34, 34, 2, 15, 15}, {37, 37, 2, 15, 15}, // American Express
	{6011, 6011, 4, 16, 19}, {644, 649, 3, 16, 19}, {65, 65, 2, 16, 19}, // Discover
	{36, 36, 2, 14, 19}, {300, 305, 3, 14, 19}, {3095, 3095, 4, 14, 19}, {38, 39, 2, 14, 19}, // Diners Club
	{3528, 3589, 4, 16, 19}, // JCB
	{62, 62, 2, 16, 19},     // UnionPay
	{5018, 5018, 4, 16, 19}, {5020, 5020, 4, 16, 19}, {5038, 5038, 4, 16, 19}, {5893, 5893, 4, 16, 19},
	{6304, 6304, 4, 16, 19}, {6759, 6759, 4, 16, 19}, {6761, 6763, 4, 16, 19}, // Maestro
}

func brandLength(d []byte) bool {
	if len(d) < 4 {
		return false
	}
	p4 := int(d[0])*1000 + int(d[1])*100 + int(d[2])*10 + int(d[3])
	for _, b := range iins {
		if len(d) < b.min || len(d) > b.max {
			continue
		}
		p := p4 / pow10[4-b.digits]
		if p >= b.lo && p <= b.hi {
			return true
		}
	}
	return false
}

var pow10 = [...]int{1, 10, 100, 1000}

// luhn reports whether the digit values d pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// folded lists runs of digits that are not Unicode decimal digits but that
// NFKC folds to ASCII ones: value(r) = base + r - lo.
var folded = []struct {
	lo, hi rune
	base   byte
}{
	{0x00b2, 0x00b3, 2}, {0x00b9, 0x00b9, 1}, {0x2070, 0x2070, 0}, {0x2074, 0x2079, 4}, // superscripts
	{0x2080, 0x2089, 0},                      // subscripts
	{0x2460, 0x2468, 1}, {0x24ea, 0x24ea, 0}, // circled
	{0x2474, 0x247c, 1}, {0x2488, 0x2490, 1}, // parenthesised, with full stop
	{0x24f5, 0x24fd, 1}, {0x24ff, 0x24ff, 0}, // double circled, negative circled zero
	{0x2776, 0x277e, 1}, {0x2780, 0x2788, 1}, {0x278a, 0x2792, 1}, // dingbats
}

// digitValue maps a digit of any script to its value.
func digitValue(r rune) (byte, bool) {
	if r < 0x80 {
		return byte(r - '0'), r >= '0' && r <= '9'
	}
	for _, f := range folded {
		if r >= f.lo && r <= f.hi {
			return f.base + byte(r-f.lo), true
		}
	}
	if !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	// Unicode allocates decimal digits in blocks of ten starting at zero, and
	// the Nd table's ranges are whole blocks, so the value is the offset mod 10.
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	return 0, false
}

// percentDecode decodes every valid %XX escape and leaves the rest, unlike
// url.QueryUnescape, which gives up on the first bad escape (an attacker's
// "%zz" must not hide the number after it).
func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
