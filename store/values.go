package store

import (
	"strconv"
	"strings"
)

// maxRows is the most rows one multi-row INSERT carries: at a dozen
// parameters a row it stays far below both engines' parameter limits.
const maxRows = 64

// multiInsert returns head ("INSERT INTO t (a, b) VALUES ") followed by
// the VALUES list of n rows of cols placeholders each, numbered from
// first+1: "($1, $2), ($3, $4)". A multi-row INSERT is one statement, one
// round trip on PostgreSQL, however many rows it carries.
func multiInsert(head string, n, cols, first int) string {
	var b strings.Builder
	b.WriteString(head)
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + r*cols + c + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}
