package httpapi

// ContainsCardNumber reports whether s holds something that looks like a
// primary account number: 13 to 19 digits, unbroken or in groups of 3 to 6
// separated by single spaces or dashes, passing the Luhn check. Groups are tried as
// windows (so "4242 4242 4242 4242 123" is caught), but an unbroken run of
// more than 19 digits is not searched inside, which keeps long numeric
// references from matching by chance. 12-digit references and amounts are
// too short to match.
func ContainsCardNumber(s string) bool {
	var digits []byte
	var groups []int // digit count of each group of the current run
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		digits, groups = digits[:0], groups[:0]
		start := i
		for {
			start := len(digits)
			for i < len(s) && isDigit(s[i]) {
				digits = append(digits, s[i])
				i++
			}
			groups = append(groups, len(digits)-start)
			if i+1 < len(s) && (s[i] == ' ' || s[i] == '-') && isDigit(s[i+1]) {
				i++
				continue
			}
			break
		}
		// Digits glued to letters, with nothing but letters or the string's
		// edge on either side, belong to an identifier (a hex hash, a
		// token), not a typed card number: without this, random 32-hex
		// idempotency keys read as cards about once in 500. A bare number,
		// or one after punctuation or a space, is still caught.
		// In grouped digits, a group glued to a letter is the end of a word
		// (a UUID's "af406094-3790-4188" is no card): it is left out.
		gluedBefore, gluedAfter := start > 0 && isLetter(s[start-1]), i < len(s) && isLetter(s[i])
		if len(groups) == 1 {
			before, after := start == 0 || gluedBefore, i == len(s) || gluedAfter
			if before && after && (gluedBefore || gluedAfter) {
				continue
			}
		} else {
			if gluedBefore {
				digits, groups = digits[groups[0]:], groups[1:]
			}
			if gluedAfter && len(groups) > 0 {
				digits, groups = digits[:len(digits)-groups[len(groups)-1]], groups[:len(groups)-1]
			}
		}
		if runHasCard(digits, groups) {
			return true
		}
	}
	return false
}

// runHasCard tries every window of whole groups holding 13–19 digits. A
// window of several groups counts only when each group has 3 to 6 digits,
// as card numbers are written (4-4-4-4, Amex 4-6-5, Diners 4-6-4): a UUID's
// all-digit tail such as "4411-8812-331245678901" must not read as a card,
// or an id that happens to pass Luhn would be refused in every URL.
func runHasCard(digits []byte, groups []int) bool {
	off := 0
	for a := range groups {
		n := 0
		for b := a; b < len(groups); b++ {
			if b > a && (groups[a] < 3 || groups[a] > 6 || groups[b] < 3 || groups[b] > 6) {
				break
			}
			n += groups[b]
			if n > 19 {
				break
			}
			if n >= 13 && luhn(digits[off:off+n]) {
				return true
			}
		}
		off += groups[a]
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// luhn reports whether the ASCII digits d pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
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
