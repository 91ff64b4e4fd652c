package redact

import "strings"

// pem masks the body of every PEM block whose label names a private or
// secret key ("-----BEGIN OPENSSH PRIVATE KEY-----", "PGP PRIVATE KEY
// BLOCK", ...), up to its END line or, when there is none, to the end of
// the text. Certificates and public keys stay.
func (x *scan) pem() {
	s := x.s
	const begin, end = "-----BEGIN ", "-----END "
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], begin)
		if j < 0 {
			return
		}
		a := i + j + len(begin)
		l := a
		for l < len(s) && l-a < 64 && (isUpper(s[l]) || isDigit(s[l]) || s[l] == ' ') {
			l++
		}
		label := s[a:l]
		secret := strings.Contains(label, "PRIVATE") || strings.Contains(label, "SECRET")
		body := l
		for body < len(s) && body-l < 5 && s[body] == '-' {
			body++
		}
		if !secret {
			i = a // a BEGIN may start inside this one's dashes
			continue
		}
		k := strings.Index(s[body:], end)
		if k < 0 {
			x.add(body, len(s))
			return
		}
		x.add(body, body+k)
		i = body + k + len(end)
	}
}

// urls masks credentials in URLs: the password of user:password@ (or the
// user part alone when it looks like a token), and the secret path
// segments of webhook and bot URLs.
func (x *scan) urls() {
	s := x.s
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		a := i + j + 3
		end, at := a, -1
		for end < len(s) {
			c := s[end]
			if c == '/' || c == '?' || c == '#' || c == '\\' || c == '<' || c == '>' || isSpace(c) || isQuote(c) {
				break
			}
			if c == '@' {
				at = end
			}
			end++
		}
		if at > a {
			ui := s[a:at]
			if c := strings.IndexByte(ui, ':'); c >= 0 {
				if !varRef(ui[c+1:]) {
					x.value(a+c+1, at)
				}
			} else if randomUser(ui) {
				x.value(a, at)
			}
		} else if x.cut && at < 0 && end == len(s) {
			// Cut before the @: what follows a colon may be a password.
			if c := strings.IndexByte(s[a:end], ':'); c >= 0 && !allDigits(s[a+c+1:end]) {
				x.add(a+c+1, end)
			}
		}
		i = end
	}
	if strings.IndexByte(s, '/') < 0 {
		return
	}
	x.pathSecret("hooks.slack.com/services/", 2, false)
	x.pathSecret("hooks.slack.com/workflows/", 2, false)
	x.pathSecret("discord.com/api/webhooks/", 1, false)
	x.pathSecret("discordapp.com/api/webhooks/", 1, false)
	x.pathSecret("api.telegram.org/bot", 0, true)
}

// pathSecret masks, after each occurrence of marker, the path segment that
// follows skip segments: the secret of a webhook URL. With colon, only
// what follows the segment's first colon is masked (Telegram's
// bot<id>:<token>).
func (x *scan) pathSecret(marker string, skip int, colon bool) {
	s := x.s
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], marker)
		if j < 0 {
			return
		}
		a := i + j + len(marker)
		for n := 0; n < skip && a < len(s); n++ {
			k := a
			for k < len(s) && s[k] != '/' && urlChar(s[k]) {
				k++
			}
			if k >= len(s) || s[k] != '/' {
				a = -1
				break
			}
			a = k + 1
		}
		if a < 0 || a >= len(s) {
			i = max(i+j+len(marker), a)
			continue
		}
		e := a
		for e < len(s) && s[e] != '/' && s[e] != '?' && s[e] != '#' && urlChar(s[e]) {
			e++
		}
		if colon {
			if c := strings.IndexByte(s[a:e], ':'); c >= 0 {
				a += c + 1
			} else {
				a = e
			}
		}
		x.add(a, e)
		i = max(e, i+j+len(marker))
	}
}

// urlChar reports the characters a URL is made of here.
func urlChar(c byte) bool {
	return !isSpace(c) && !isQuote(c) && c != '<' && c != '>' && c != '\\'
}

// randomUser reports a URL user name that looks like a token rather than
// a name: long, with digits or mixed case.
func randomUser(u string) bool {
	if len(u) < 16 || varRef(u) {
		return false
	}
	var upper, lower, digit bool
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case isUpper(c):
			upper = true
		case isLower(c):
			lower = true
		case isDigit(c):
			digit = true
		}
	}
	return digit || upper && lower
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// varRef reports a value that only refers to a variable ($NAME, ${NAME})
// or a command substitution ($(...)): it names where a secret comes from,
// which helps decide, and holds none.
func varRef(v string) bool {
	if len(v) < 2 || v[0] != '$' {
		return false
	}
	switch v[1] {
	case '(':
		return true
	case '{':
		return v[len(v)-1] == '}' && strings.IndexByte(v, '}') == len(v)-1
	}
	for i := 1; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}
