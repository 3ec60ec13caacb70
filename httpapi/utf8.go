package httpapi

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/paybridge/paybridge"
)

// checkUTF8 refuses a body that is not valid UTF-8 or that escapes a lone
// UTF-16 surrogate (\ud800 without its pair): encoding/json would store
// either as U+FFFD, silently changing what the client sent. The error names
// the byte offset, never the bytes.
func checkUTF8(body []byte) error {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return utf8Error(off, "is not valid UTF-8")
	}
	// Backslashes occur only inside JSON strings, so every one starts an
	// escape: \uXXXX is read, any other escape skipped whole.
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 < len(body) && body[i+1] != 'u' {
			i++
			continue
		}
		r, ok := hex4(body, i+2)
		if !ok {
			continue // malformed: the JSON parser reports it
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00: // high: must be followed by a low one
			if i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
				if lo, ok := hex4(body, i+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
					i += 11
					continue
				}
			}
			return utf8Error(i, "escapes a lone UTF-16 surrogate")
		case utf16.IsSurrogate(r):
			return utf8Error(i, "escapes a lone UTF-16 surrogate")
		}
		i += 5
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return rune(v), err == nil
}

func utf8Error(off int, what string) error {
	return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_utf8",
		Message: fmt.Sprintf("Request body %s at byte %d; send UTF-8 text.", what, off)}
}
