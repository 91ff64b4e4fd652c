// Package redact removes secrets from the text Ony shows, records, signs
// into a verdict or speaks: targets, titles, details, and the raw command
// the console displays. It keeps enough of the text to decide
// ("https://user:***@github.com/o/r.git main") and never the value.
//
// One step recognises every shape (the list is in docs/TAXONOMY.md,
// "Secrets in targets"):
//   - credentials in URLs (user:secret@) and secret-named query parameters
//     and fragments (?access_token=, #id_token=, &sig=, ...);
//   - secret-named assignments, environment variables, JSON and YAML keys
//     and headers (PGPASSWORD=, *_TOKEN=, "api_key": ..., Authorization:,
//     Cookie:);
//   - options that carry secrets (--password, --token, --otp, -p<pw> of the
//     MySQL tools, -N/-P of ssh-keygen, curl -u user:pw, --from-literal=k=v,
//     docker login -p, ...);
//   - well-known token shapes wherever they appear (GitHub, GitLab, Slack,
//     Stripe, OpenAI and Anthropic keys, AWS access keys, Google API keys,
//     npm, PyPI, Hugging Face, JWTs, PEM private key blocks, ...);
//   - long random-looking runs (mixed-case base64 of 32 characters or more,
//     hex of 32 or more other than the 40 and 64 digits of commit and
//     content hashes).
//
// The package is a set of pure functions over hand-written scanners: no
// regular expressions and no package-level state. Every pass is linear in
// the length of its input, so redaction stays cheap on the hook's path.
package redact

import (
	"slices"
	"strings"
)

// Mask replaces every secret.
const Mask = "***"

// ellipsis marks text cut short by the taxonomy (a target's length is
// bounded): the value of a secret may be cut in the middle.
const ellipsis = "…"

// String returns s with every secret it recognises replaced by Mask. It is
// idempotent: String(String(s)) == String(s). Text that holds no secret is
// returned as is, without allocating.
func String(s string) string {
	if len(s) < 3 {
		return s
	}
	body, cut := s, false
	if strings.HasSuffix(s, ellipsis) {
		body, cut = s[:len(s)-len(ellipsis)], true
	}
	x := scan{s: body, cut: cut}
	x.run()
	if len(x.spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range x.spans {
		b.WriteString(body[last:sp.a])
		b.WriteString(Mask)
		last = sp.b
	}
	b.WriteString(body[last:])
	if cut {
		b.WriteString(ellipsis)
	}
	out := b.String()
	if out == s {
		return s
	}
	return out
}

// Contains reports whether s holds something String would mask. Text that
// String already redacted holds nothing more.
func Contains(s string) bool { return String(s) != s }

// span is a range of bytes [a, b) to replace by Mask.
type span struct{ a, b int }

// scan is the state of one redaction.
type scan struct {
	s     string
	cut   bool // s was cut short: its last word may be the start of a secret
	spans []span
}

// run applies every pass and leaves x.spans sorted, merged and disjoint.
// A pass that needs a character the text does not have is skipped: most
// targets hold no secret, and these checks are cheap.
func (x *scan) run() {
	s := x.s
	eq := strings.IndexByte(s, '=') >= 0
	colon := strings.IndexByte(s, ':') >= 0
	dash := strings.IndexByte(s, '-') >= 0
	if dash {
		x.pem()
	}
	if colon || strings.IndexByte(s, '/') >= 0 {
		x.urls()
	}
	if eq || colon {
		x.pairs()
	}
	if colon {
		x.headers()
	}
	if dash || eq || strings.Contains(s, "pass:") || strings.Contains(s, "set") || strings.Contains(s, "config") ||
		strings.Contains(s, "login") {
		x.words() // options, k=v, or the command words that take a secret (setenv NAME value)
	}
	x.tokens()
	x.merge()
	if len(s) >= 32 || x.cut && len(s) >= 12 {
		x.runs() // shorter text has no run long enough
	}
	x.merge()
}

// add masks [a, b).
func (x *scan) add(a, b int) {
	if a < b {
		x.spans = append(x.spans, span{a, b})
	}
}

// value masks the value [a, b), keeping the recognisable prefix of a
// well-known token shape so the owner knows which secret it was.
func (x *scan) value(a, b int) {
	if a >= b {
		return
	}
	if n := keptPrefix(x.s[a:b]); n > 0 && n < b-a {
		a += n
	}
	x.add(a, b)
}

// merge sorts the spans and joins those that overlap or touch.
func (x *scan) merge() {
	if len(x.spans) < 2 {
		return
	}
	slices.SortFunc(x.spans, func(p, q span) int { return p.a - q.a })
	out := x.spans[:1]
	for _, sp := range x.spans[1:] {
		last := &out[len(out)-1]
		if sp.a <= last.b {
			last.b = max(last.b, sp.b)
			continue
		}
		out = append(out, sp)
	}
	x.spans = out
}

// masked reports whether byte i lies in a span; spans must be merged. k is
// a cursor the caller keeps between calls with increasing i.
func (x *scan) masked(i int, k *int) bool {
	for *k < len(x.spans) && x.spans[*k].b <= i {
		*k++
	}
	return *k < len(x.spans) && x.spans[*k].a <= i
}

// Character classes.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isQuote(c byte) bool { return c == '"' || c == '\'' || c == '`' }

func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) }

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case;
// prefix must be lowercase.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// closeQuote returns the index of the quote that closes the one at s[i],
// or -1. In double quotes a backslash escapes the next byte.
func closeQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case q:
			return j
		case '\\':
			if q == '"' {
				j++
			}
		}
	}
	return -1
}
