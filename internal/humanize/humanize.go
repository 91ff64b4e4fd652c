// Package humanize formats numbers for people: the console, the audit
// commands and doctor print counts the same way.
package humanize

import (
	"strconv"
	"strings"
)

// Count formats n with thousands separators: 1204 → "1,204".
func Count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3)
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Plural returns "1 entry" or "1,204 entries".
func Plural(n uint64, one, many string) string {
	if n == 1 {
		return Count(n) + " " + one
	}
	return Count(n) + " " + many
}
