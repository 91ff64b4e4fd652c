package redact

import "strings"

// pairs masks the values of secret-named pairs wherever they are:
// NAME=value (assignments, env, export, --option=value), query parameters
// and fragments (?access_token=v&, #id_token=v), JSON and YAML keys
// ("api_key": "v", password: v) and credential headers (Authorization:
// Bearer v, Cookie: v). It walks the text once, keeping track of the quote
// it is in so that a value inside a quoted argument ends with it.
func (x *scan) pairs() {
	s := x.s
	var outer byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '=' || c == ':':
			if next := x.pair(i, outer); next > i {
				i = next
				continue
			}
		case c == '"' || c == '\'' || c == '`':
			switch outer {
			case 0:
				outer = c
			case c:
				outer = 0
			}
		case c == '\\' && outer != '\'':
			i++
		}
		i++
	}
}

// isNameChar reports the characters of a name in a pair.
func isNameChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// pair looks at the separator s[p] and, when the name before it is secret,
// masks the value after it. It returns where the walk goes on (past the
// value), or 0 to go on after the separator.
func (x *scan) pair(p int, outer byte) int {
	s := x.s
	end := p
	if end > 0 && (s[end-1] == '"' || s[end-1] == '\'') {
		end-- // "name": value
	}
	start := end
	for start > 0 && isNameChar(s[start-1]) {
		if end-start >= maxName {
			return 0
		}
		start--
	}
	if start == end {
		return 0
	}
	name := s[start:end]
	var before byte
	if start > 0 {
		before = s[start-1]
	}
	query := before == '?' || before == '&' || before == '#'
	v := p + 1
	if s[p] == '=' {
		if v < len(s) && s[v] == '=' {
			return p + 2 // a comparison
		}
		kind := kindVar
		switch {
		case name[0] == '-':
			kind = kindOption
			if strings.TrimLeft(name, "-") == "from-literal" {
				// kubectl --from-literal=key=value: the value is a
				// secret whatever the key.
				a, b, next := x.valueRange(v, false, outer)
				if eq := strings.IndexByte(s[a:b], '='); eq >= 0 {
					x.value(a+eq+1, b)
				}
				return next
			}
		case query:
			kind = kindQuery
		}
		if !secretName(name, kind) {
			return 0
		}
	} else {
		if v < len(s) && (s[v] == '/' || s[v] == ':') {
			return 0 // a scheme, a drive, a C++ scope, an IPv6 address
		}
		if start >= 3 && s[start-3:start] == "://" {
			return 0 // user:password@ in a URL: see urls
		}
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if headerName(name) || !secretName(name, kindVar) {
			return 0 // headers: see headers
		}
	}
	a, b, next := x.valueRange(v, query, outer)
	x.value(a, b)
	if b > a && next == b && (s[b-1] == ':' || s[b-1] == '=') {
		// The value ended with the separator of another pair
		// ("…"password: v): look at that pair too.
		next--
	}
	return next
}

// headers masks the value of every credential header (Authorization,
// Proxy-Authorization, Cookie, Set-Cookie), keeping the scheme
// ("Authorization: Bearer ***"). It finds the names on its own, whatever
// the quoting around them: a quoted argument or JSON string ends the value
// with its quote, otherwise the value is one word.
func (x *scan) headers() {
	s := x.s
	for i := 0; i < len(s); i++ {
		var n int
		switch lower(s[i]) {
		case 'a':
			if hasPrefixFold(s[i:], "authorization") {
				n = len("authorization")
			}
		case 'c':
			if hasPrefixFold(s[i:], "cookie") {
				n = len("cookie")
			}
		}
		if n == 0 || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		start := i
		for start > 0 && (isAlnum(s[start-1]) || s[start-1] == '-') {
			start-- // Proxy-Authorization, Set-Cookie
		}
		j := i + n
		var term byte
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			term = s[j] // "Authorization": "…"
			j++
		}
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j >= len(s) || s[j] != ':' {
			continue
		}
		if start > 0 && (s[start-1] == '"' || s[start-1] == '\'') && term == 0 {
			term = s[start-1] // -H "Authorization: …"
		}
		i = x.header(j+1, term) - 1
	}
}

// header masks the header value at s[v], keeping its scheme. With term the
// value runs to that quote; otherwise to the end of the word.
func (x *scan) header(v int, term byte) int {
	s := x.s
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v < len(s) && (s[v] == '"' || s[v] == '\'') {
		term = s[v] // "Authorization": "Bearer v"
		v++
	}
	w := v
	for w < len(s) && !isSpace(s[w]) && !isQuote(s[w]) {
		w++
	}
	if w > v && authScheme(s[v:w]) {
		k := w
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k > w {
			v = k
		}
	}
	e := v
	if term != 0 {
		if c := strings.IndexByte(s[v:], term); c >= 0 {
			e = v + c
		} else {
			e = len(s)
		}
	} else {
		for e < len(s) && !isSpace(s[e]) && !isQuote(s[e]) {
			e++
		}
	}
	if term == '\'' || !varRef(s[v:e]) {
		x.value(v, e)
	}
	return max(e, v)
}

// valueRange returns the value that starts at s[v]: [a, b) is what to mask
// and next is where the walk goes on. A value in quotes is masked inside
// them; an unterminated quote runs to the end of the text. In a query a
// value ends at & or #. A value that only refers to a variable is empty.
func (x *scan) valueRange(v int, query bool, outer byte) (a, b, next int) {
	s := x.s
	if v >= len(s) {
		return v, v, v
	}
	// A quote right after the separator opens the value, even when the
	// walk believes it is inside that kind of quote: the walk's idea of
	// quoting may be wrong, and then this masks too much, never too little.
	if c := s[v]; (c == '"' || c == '\'') && !query {
		e := closeQuote(s, v)
		if e < 0 {
			return v + 1, len(s), len(s)
		}
		if e+1 == len(s) || endsValue(s[e+1], false, outer) || s[e+1] == ',' || s[e+1] == '}' || s[e+1] == ']' {
			if c == '"' && varRef(s[v+1:e]) {
				return v, v, e + 1
			}
			return v + 1, e, e + 1
		}
	}
	if strings.HasPrefix(s[v:], "$(") {
		return v, v, v + 1 // a command substitution: no value here
	}
	e := x.wordEnd(v, query, outer)
	if varRef(s[v:e]) {
		return v, v, max(e, v+1)
	}
	return v, e, e
}

// endsValue reports a byte that ends an unquoted value.
func endsValue(c byte, query bool, outer byte) bool {
	switch {
	case isSpace(c), c == outer && outer != 0:
		return true
	case query:
		return c == '&' || c == '#' || isQuote(c) || c == '<' || c == '>'
	}
	return c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')'
}

// wordEnd returns the end of the shell word (or query value) that starts
// at s[v]. Quotes inside the word are part of it; a quote that does not
// close is the end of an enclosing quoted argument, and ends the word.
func (x *scan) wordEnd(v int, query bool, outer byte) int {
	s := x.s
	j := v
	for j < len(s) {
		c := s[j]
		if endsValue(c, query, outer) {
			return j
		}
		switch c {
		case '"', '\'', '`':
			e := closeQuote(s, j)
			if e < 0 {
				if j == v {
					return len(s)
				}
				return j
			}
			j = e + 1
			continue
		case '\\':
			j++
		}
		j++
	}
	return min(j, len(s))
}
