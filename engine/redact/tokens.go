package redact

import "strings"

// class is the set of characters a token's body is made of.
type class uint8

const (
	clAlnum      class = iota // A-Z a-z 0-9
	clAlnumU                  // and _
	clAlnumD                  // and -
	clAlnumUD                 // and _ -
	clAlnumUDDot              // and _ - .
	clUpperDigit              // A-Z 0-9
	clBase64                  // A-Z a-z 0-9 + / =
	clJWT                     // A-Z a-z 0-9 _ - (base64url)
	clBearer                  // A-Z a-z 0-9 . _ ~ + / = - (RFC 6750 b64token)
)

func (c class) has(b byte) bool {
	switch {
	case isUpper(b) || isDigit(b):
		return true
	case isLower(b):
		return c != clUpperDigit
	}
	switch c {
	case clAlnumU:
		return b == '_'
	case clAlnumD:
		return b == '-'
	case clAlnumUD, clJWT:
		return b == '_' || b == '-'
	case clAlnumUDDot:
		return b == '_' || b == '-' || b == '.'
	case clBase64:
		return b == '+' || b == '/' || b == '='
	case clBearer:
		return b == '.' || b == '_' || b == '~' || b == '+' || b == '/' || b == '=' || b == '-'
	}
	return false
}

// shape is a well-known token format: a recognisable prefix, kept when the
// token is masked, and a body of at least min characters of one class.
// exact bodies have exactly min characters and end at a word boundary.
type shape struct {
	prefix int // length of the prefix kept
	body   class
	min    int
	exact  bool
}

// shapeAt returns the token shape whose prefix t starts with, if any. The
// list is documented in docs/TAXONOMY.md.
func shapeAt(t string) (shape, bool) {
	if len(t) < 3 {
		return shape{}, false
	}
	has := func(p string) bool { return strings.HasPrefix(t, p) }
	switch t[0] {
	case 'g':
		switch {
		case len(t) > 4 && t[1] == 'h' && strings.IndexByte("pousr", t[2]) >= 0 && t[3] == '_': // GitHub
			return shape{4, clAlnum, 20, false}, true
		case has("github_pat_"):
			return shape{11, clAlnumU, 20, false}, true
		case has("glc_"): // Grafana
			return shape{4, clBase64, 32, false}, true
		case has("gl"): // GitLab
			for _, p := range [...]string{"glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glimt-", "glagent-", "gloas-", "glsoat-", "glffct-"} {
				if has(p) {
					return shape{len(p), clAlnumUD, 16, false}, true
				}
			}
		}
	case 'G':
		if has("GR1348941") { // GitLab runner registration
			return shape{9, clAlnumUD, 16, false}, true
		}
	case 'x': // Slack
		for _, p := range [...]string{"xoxe.xoxp-", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-"} {
			if has(p) {
				return shape{len(p), clAlnumD, 8, false}, true
			}
		}
	case 's':
		switch {
		case has("sk_live_") || has("sk_test_"): // Stripe
			return shape{8, clAlnum, 10, false}, true
		case has("sk-ant-"): // Anthropic
			return shape{7, clAlnumUD, 20, false}, true
		case has("sk-proj-"): // OpenAI project keys
			return shape{8, clAlnumUD, 20, false}, true
		case has("sk-"): // OpenAI and compatible
			return shape{3, clAlnumUD, 20, false}, true
		case has("shpat_") || has("shpss_") || has("shpca_") || has("shppa_"): // Shopify
			return shape{6, clAlnum, 20, false}, true
		}
	case 'r':
		if has("rk_live_") || has("rk_test_") { // Stripe restricted
			return shape{8, clAlnum, 10, false}, true
		}
	case 'w':
		if has("whsec_") { // Stripe webhook signing secret
			return shape{6, clBase64, 16, false}, true
		}
	case 'p':
		if has("pypi-AgE") { // PyPI
			return shape{5, clAlnumUD, 16, false}, true
		}
	case 'n':
		if has("npm_") {
			return shape{4, clAlnum, 30, false}, true
		}
	case 'h':
		switch {
		case has("hf_"): // Hugging Face
			return shape{3, clAlnum, 30, false}, true
		case has("hvs.") || has("hvb."): // HashiCorp Vault
			return shape{4, clAlnumUD, 20, false}, true
		}
	case 'd':
		if has("dop_v1_") || has("doo_v1_") || has("dor_v1_") { // DigitalOcean
			return shape{7, clAlnum, 32, false}, true
		}
	case 'l':
		if has("lin_api_") { // Linear
			return shape{8, clAlnum, 20, false}, true
		}
	case 'S':
		if has("SG.") { // SendGrid
			return shape{3, clAlnumUDDot, 20, false}, true
		}
	case 'A':
		switch {
		case has("AIza"): // Google API key
			return shape{4, clAlnumUD, 30, false}, true
		case has("AGE-SECRET-KEY-1"): // age
			return shape{16, clUpperDigit, 16, false}, true
		case has("ATATT"): // Atlassian API token
			return shape{5, clAlnumUD, 20, false}, true
		case len(t) >= 4 && awsPrefix(t[:4]):
			return shape{4, clUpperDigit, 16, true}, true
		}
	}
	return shape{}, false
}

// awsPrefix reports the four letters that start an AWS access key id.
func awsPrefix(p string) bool {
	switch p {
	case "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA":
		return true
	}
	return false
}

// keptPrefix returns how much of a masked value to keep: the prefix of the
// well-known token it starts with, if any.
func keptPrefix(v string) int {
	if sh, ok := shapeAt(v); ok && len(v) > sh.prefix && (sh.body.has(v[sh.prefix]) || v[sh.prefix:] == Mask) {
		return sh.prefix
	}
	return 0
}

// tokenStarts is the set of the first letters of the token shapes, JWTs
// and "bearer" (bytes 64-127).
const tokenStarts = 1<<('A'-64) | 1<<('B'-64) | 1<<('G'-64) | 1<<('S'-64) | 1<<('b'-64) | 1<<('d'-64) | 1<<('e'-64) |
	1<<('g'-64) | 1<<('h'-64) | 1<<('l'-64) | 1<<('n'-64) | 1<<('p'-64) | 1<<('r'-64) | 1<<('s'-64) | 1<<('w'-64) | 1<<('x'-64)

// boundary reports whether a token may start at s[i].
func boundary(s string, i int) bool { return i == 0 || !isAlnum(s[i-1]) }

// tokens masks well-known token shapes, JWTs and bearer tokens wherever
// they start at a word boundary.
func (x *scan) tokens() {
	s := x.s
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !inSet(c, 0, tokenStarts) || !boundary(s, i) {
			continue
		}
		var end int
		switch {
		case c == 'e':
			end = x.jwt(i)
		case c == 'b' || c == 'B':
			end = x.bearer(i)
		default:
			end = x.shape(i)
		}
		if end > i+1 {
			i = end - 1
		}
	}
}

// shape masks the token shape starting at s[i], if there is one, and
// returns where it ends (or where the next token may start).
func (x *scan) shape(i int) int {
	s := x.s
	sh, ok := shapeAt(s[i:])
	if !ok {
		return 0
	}
	a := i + sh.prefix
	j := a
	for j < len(s) && sh.body.has(s[j]) && (!sh.exact || j-a <= sh.min) {
		j++
	}
	n := j - a
	switch {
	case sh.exact && n == sh.min && (j == len(s) || !isAlnum(s[j])):
	case !sh.exact && n >= sh.min:
	case x.cut && j == len(s) && n > 0:
		// The text was cut inside what may be the token.
	default:
		return 0
	}
	x.add(a, j)
	return j
}

// jwt masks a JSON Web Token (three base64url parts starting with "eyJ",
// the signature may be empty), keeping "eyJ". It returns where the next
// token may start: past the first part, even when it is no JWT.
func (x *scan) jwt(i int) int {
	s := x.s
	if !strings.HasPrefix(s[i:], "eyJ") {
		return 0
	}
	run := func(j int) int {
		for j < len(s) && clJWT.has(s[j]) {
			j++
		}
		return j
	}
	a := i + 3
	e1 := run(a)
	if x.cut && e1 == len(s) && e1 > a {
		x.add(a, e1)
		return e1
	}
	if e1-i < 8 || e1 >= len(s) || s[e1] != '.' {
		return e1
	}
	e2 := run(e1 + 1)
	switch {
	case e2-e1-1 >= 4:
	case x.cut && e2 == len(s):
	default:
		return e1
	}
	end := e2
	if e2 < len(s) && s[e2] == '.' {
		end = run(e2 + 1)
	}
	x.add(a, end)
	return end
}

// bearer masks the credential after the word "Bearer".
func (x *scan) bearer(i int) int {
	s := x.s
	if !hasPrefixFold(s[i:], "bearer") {
		return 0
	}
	j := i + len("bearer")
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k == j {
		return 0
	}
	e := k
	for e < len(s) && clBearer.has(s[e]) {
		e++
	}
	if e-k < 8 && !(x.cut && e == len(s) && e > k) {
		return 0
	}
	x.value(k, e)
	return e
}
