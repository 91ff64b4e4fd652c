package redact

import (
	"math"
	"strings"
)

// runChar reports the characters of a base64 or hex run: A-Z a-z 0-9 + / _ -.
func runChar(c byte) bool { return inSet(c, runLo, runHi) }

// Byte sets as two 64-bit masks (bytes 0-63 and 64-127).
const (
	runLo = 1<<'+' | 1<<'-' | 1<<'/' | 0x3ff<<'0'                   // + - / 0-9
	runHi = 0x3ffffff<<('A'-64) | 1<<('_'-64) | 0x3ffffff<<('a'-64) // A-Z _ a-z
)

// inSet reports whether c is in the byte set (lo, hi).
func inSet(c byte, lo, hi uint64) bool {
	switch {
	case c < 64:
		return lo>>c&1 != 0
	case c < 128:
		return hi>>(c-64)&1 != 0
	}
	return false
}

// runs masks long random-looking runs no other pass explained: hex of 32
// digits or more (except lowercase runs of exactly 40 or 64, the commit and
// content hashes a target often names), and base64 of 32 characters or
// more that mixes cases and digits with high entropy. In a path only such
// a segment is masked. What the other passes masked separates runs. When
// the text was cut, a shorter random run at its very end is masked too.
func (x *scan) runs() {
	s := x.s
	k := 0
	var found []span
	for i := 0; i < len(s); {
		if x.masked(i, &k) {
			i = x.spans[k].b
			continue
		}
		if !runChar(s[i]) {
			i++
			continue
		}
		a := i
		for i < len(s) && runChar(s[i]) && !x.masked(i, &k) {
			i++
		}
		b := i
		for b < len(s) && s[b] == '=' && !x.masked(b, &k) {
			b++ // base64 padding
		}
		found = x.checkRun(found, a, i, b)
		i = b
	}
	x.spans = append(x.spans, found...)
}

// checkRun checks the run s[a:e] (padding up to b) and adds what to mask.
func (x *scan) checkRun(found []span, a, e, b int) []span {
	s := x.s
	run := s[a:e]
	tail := x.cut && b == len(s)
	if len(run) < 32 && !(tail && len(run) >= 12) {
		return found
	}
	if strings.IndexByte(run, '/') < 0 {
		if secretRun(run, tail) {
			found = append(found, span{a, b})
		}
		return found
	}
	// A path or URL: mask only its secret-looking segments, or the whole
	// run when it is base64 rather than a path.
	changed := false
	for off := 0; off < len(run); {
		n := strings.IndexByte(run[off:], '/')
		if n < 0 {
			n = len(run) - off
		}
		last := off+n == len(run)
		if secretRun(run[off:off+n], tail && last) {
			end := a + off + n
			if last {
				end = b
			}
			found = append(found, span{a + off, end})
			changed = true
		}
		off += n + 1
	}
	if !changed && run[0] != '/' && (strings.IndexByte(run, '+') >= 0 || !mostlyWords(run)) && secretRun(run, tail) {
		found = append(found, span{a, b})
	}
	return found
}

// mostlyWords reports whether at least half the segments of a path are
// lowercase words (letters, digits, - and _), as paths and host names have
// and base64 rarely does.
func mostlyWords(run string) bool {
	words, segs := 0, 0
	for seg := range strings.SplitSeq(run, "/") {
		if seg == "" {
			continue
		}
		segs++
		word := true
		for i := 0; i < len(seg); i++ {
			if isUpper(seg[i]) || seg[i] == '+' {
				word = false
				break
			}
		}
		if word {
			words++
		}
	}
	return 2*words >= segs
}

// secretRun reports a random-looking run: hex of 32 digits or more (but
// not a lowercase commit or content hash of 40 or 64), or base64 of 32 or
// more mixing upper case, lower case and digits with an entropy of 4 bits
// a character or more. A run cut at the end of a text counts from 12
// characters.
func secretRun(run string, cut bool) bool {
	core := strings.Trim(run, "-_")
	minLen, minEntropy := 32, 4.0
	if cut {
		minLen, minEntropy = 12, 3.0
	}
	if len(core) < minLen {
		return false
	}
	hex, lowerHex := true, true
	var upper, lower, digit bool
	for i := 0; i < len(core); i++ {
		switch c := core[i]; {
		case isDigit(c):
			digit = true
		case c >= 'a' && c <= 'f':
			lower = true
		case c >= 'A' && c <= 'F':
			upper, lowerHex = true, false
		case isLower(c):
			lower, hex, lowerHex = true, false, false
		case isUpper(c):
			upper, hex, lowerHex = true, false, false
		default:
			hex, lowerHex = false, false
		}
	}
	if hex && len(core) >= 16 {
		return !(lowerHex && (len(core) == 40 || len(core) == 64) && !cut)
	}
	return upper && lower && digit && entropy(core) >= minEntropy
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
