package tui

import (
	"math"
	"regexp"
	"strings"
)

// maskText replaces a secret in what the console displays.
const maskText = "****"

// masker hides obvious secrets in the command, paths and URL a request
// shows: access tokens, passwords given as options or assignments,
// authorization headers, private key blocks, credentials in URLs, and long
// hex or base64 runs. It errs towards hiding: the approver needs the shape
// of the action, never the secret in it.
//
// A masker is built once per console and is safe for concurrent use.
type masker struct {
	rules  []*regexp.Regexp // in order; each has a group named "s": the secret to hide
	mysql  *regexp.Regexp   // a mysql-family command up to the end of its pipeline stage
	mysqlP *regexp.Regexp   // -p<password> inside it
	pem    *regexp.Regexp
	runs   *regexp.Regexp // candidate long hex or base64 runs
}

func newMasker() *masker {
	const value = `(?P<s>"[^"]*"|'[^']*'|[^\s&;'",}]+)`
	return &masker{
		pem: regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`),
		rules: []*regexp.Regexp{
			// Well-known token formats; the recognisable prefix stays.
			regexp.MustCompile(`\bgh[pousr]_(?P<s>[A-Za-z0-9]{16,})`),
			regexp.MustCompile(`\bgithub_pat_(?P<s>[A-Za-z0-9_]{20,})`),
			regexp.MustCompile(`\bxox[abposr]-(?P<s>[A-Za-z0-9-]{8,})`),
			regexp.MustCompile(`\bsk-(?P<s>[A-Za-z0-9_-]{16,})`),
			regexp.MustCompile(`\b(?:AKIA|ASIA)(?P<s>[0-9A-Z]{16})\b`),
			regexp.MustCompile(`\bglpat-(?P<s>[A-Za-z0-9_-]{16,})`),
			regexp.MustCompile(`\bAIza(?P<s>[0-9A-Za-z_-]{30,})`),
			regexp.MustCompile(`\bnpm_(?P<s>[A-Za-z0-9]{30,})`),
			// user:password@ in any URL.
			regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<s>[^\s@/]+)@`),
			// Authorization headers, with or without a scheme.
			regexp.MustCompile(`(?i)\b(?:proxy-)?authorization\s*:\s*(?:(?:bearer|basic|token|digest|bot|negotiate)\s+)?(?P<s>[^\s'"]+)`),
			regexp.MustCompile(`(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=-]{8,})`),
			// curl -u user:password
			regexp.MustCompile(`(?:^|\s)(?:-u|--user)\s*['"]?[^\s:'"]+:(?P<s>[^\s'"]+)`),
			// --password x, --password=x, --token x ...
			regexp.MustCompile(`(?i)(?:^|\s)--?(?:password|passwd|pass|token|secret|api-key|apikey|access-token|auth-token|client-secret)(?:\s+|=)` + value),
			// password=x, DB_PASSWORD=x, "api_key": "x" ...
			regexp.MustCompile(`(?i)[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)[a-z0-9_.-]*["']?\s*[=:]\s*` + value),
		},
		mysql:  regexp.MustCompile(`(?i)\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump)\b[^|;&\n]*`),
		mysqlP: regexp.MustCompile(`(?:^|\s)-p(?P<s>\S+)`),
		runs:   regexp.MustCompile(`[A-Za-z0-9+/=_-]{32,}`),
	}
}

// mask returns s with the secrets it recognises replaced by ****.
func (m *masker) mask(s string) string {
	if s == "" {
		return s
	}
	s = m.pem.ReplaceAllString(s, "-----BEGIN ${1}PRIVATE KEY-----"+maskText+"-----END ${1}PRIVATE KEY-----")
	for _, re := range m.rules {
		s = maskGroup(re, s)
	}
	s = m.mysql.ReplaceAllStringFunc(s, func(seg string) string { return maskGroup(m.mysqlP, seg) })
	return m.maskRuns(s)
}

// maskGroup replaces the "s" group of every match of re in s.
func maskGroup(re *regexp.Regexp, s string) string {
	g := re.SubexpIndex("s")
	matches := re.FindAllStringSubmatchIndex(s, -1)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, loc := range matches {
		start, end := loc[2*g], loc[2*g+1]
		if start < 0 || strings.Contains(s[start:end], maskText) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(maskText)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// maskRuns hides runs of 32 or more hex digits, and base64-like runs of 32
// or more characters that mix cases and digits with high entropy. In a
// path or URL only such a segment is hidden.
func (m *masker) maskRuns(s string) string {
	locs := m.runs.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		run := s[loc[0]:loc[1]]
		repl := maskText
		if strings.Contains(run, "/") {
			// Hide a secret-looking segment of a path or URL; hide the
			// whole run only if it looks like base64 rather than a path.
			segs := strings.Split(run, "/")
			changed := false
			for i, seg := range segs {
				if secretRun(seg) {
					segs[i], changed = maskText, true
				}
			}
			switch {
			case changed:
				repl = strings.Join(segs, "/")
			case strings.ContainsAny(run[:1], "/.~") || pathWords(segs) || !secretRun(run):
				continue
			}
		} else if !secretRun(run) {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(repl)
		last = loc[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// pathWords reports whether a segment is a lowercase word of three letters
// or more, as paths and host names have and base64 rarely does.
func pathWords(segs []string) bool {
	for _, seg := range segs {
		if len(seg) >= 3 && strings.Trim(seg, "abcdefghijklmnopqrstuvwxyz") == "" {
			return true
		}
	}
	return false
}

func secretRun(run string) bool {
	core := strings.Trim(run, "=-_")
	if len(core) < 32 {
		return false
	}
	hex := true
	var upper, lower, digit bool
	for _, c := range core {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			if c >= 'a' {
				lower = true
			} else {
				upper = true
			}
		case c >= 'a' && c <= 'z':
			lower, hex = true, false
		case c >= 'A' && c <= 'Z':
			upper, hex = true, false
		default:
			hex = false
		}
	}
	if hex {
		return true
	}
	return upper && lower && digit && entropy(core) >= 4.0
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
