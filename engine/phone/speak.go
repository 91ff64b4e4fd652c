package phone

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// What the phone says. Everything spoken about a request comes from
// describe, which reads the classification (title, target, risk) and the
// request's metadata (harness, session, arrival) and nothing else: never
// the command, paths, URL or pattern of the tool call.

// keysHelp ends every question about a request.
const keysHelp = "Press 1 to approve, 2 to deny, 3 to hear it again, or 9 to engage the kill switch."

// harnessNames are the harnesses as spoken.
var harnessNames = map[string]string{
	"claude": "Claude Code", "codex": "Codex", "cursor": "Cursor", "gemini": "Gemini CLI", "copilot": "Copilot CLI",
}

// describe says who wants what: "Claude Code, session 3 f 2 a, wants to
// force-push to a git remote. Target: origin main. Critical risk. Waiting
// 2 minutes."
func describe(r engine.Request, now time.Time) string {
	var b strings.Builder
	h, ok := harnessNames[r.Call.Harness]
	if !ok {
		h = "An agent (" + spellWords(r.Call.Harness, 3) + ")"
	}
	b.WriteString(h)
	if s := spellSession(r.Call.SessionID); s != "" {
		b.WriteString(", session " + s)
	}
	// The engine redacts targets and titles when a request arrives; the
	// same step again here is cheap, and what is spoken never depends on
	// it alone.
	title := sayTitle(redact.String(r.Class.Title), r.Class.Action)
	b.WriteString(", wants to: " + title + ".")
	if t := sayTarget(redact.String(r.Class.Target)); t != "" {
		b.WriteString(" Target: " + t + ".")
	}
	b.WriteString(" " + sayRisk(r.Class.Risk) + ".")
	b.WriteString(" Waiting " + sayDuration(now.Sub(r.Arrived)) + ".")
	return b.String()
}

func sayRisk(l risk.Level) string {
	if !l.Valid() {
		return "Unknown risk, treated as critical"
	}
	r := l.String()
	return strings.ToUpper(r[:1]) + r[1:] + " risk"
}

// sayDuration rounds a wait: "12 seconds", "1 minute", "3 minutes".
func sayDuration(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "1 second"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " seconds"
	case d < 2*time.Minute:
		return "1 minute"
	}
	return strconv.Itoa(int(d/time.Minute)) + " minutes"
}

// spellSession says the first four letters or digits of a session id one
// by one: enough to tell two sessions apart.
func spellSession(id string) string {
	var out []string
	for _, r := range id {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			out = append(out, strings.ToLower(string(r)))
			if len(out) == 4 {
				break
			}
		}
	}
	return strings.Join(out, " ")
}

// sayTitle keeps the title's words (taxonomy titles are short phrases) in
// the safe alphabet; an empty title falls back to the action id's words.
func sayTitle(title, action string) string {
	if s := spellWords(title, 12); s != "" {
		return lowerFirst(s)
	}
	if s := spellWords(strings.NewReplacer(".", " ", "_", " ").Replace(action), 6); s != "" {
		return s
	}
	return "do something Ony does not recognise"
}

func lowerFirst(s string) string {
	if len(s) > 1 && unicode.IsUpper(rune(s[0])) && !unicode.IsUpper(rune(s[1])) {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// maxTarget is how much of a target is spoken.
const maxTarget = 48

// sayTarget shortens a target and spells it so text-to-speech reads it
// plainly: "./deploy/prod.yaml" becomes "dot slash deploy slash prod dot
// yaml". A long path keeps its last two parts; anything that looks like a
// key, a hash or a long number becomes "a long value".
func sayTarget(t string) string {
	t = strings.TrimSpace(t)
	if t == "" {
		return ""
	}
	prefix := ""
	if len(t) > maxTarget {
		if i := strings.LastIndexByte(strings.TrimRight(t, "/"), '/'); i > 0 {
			parts := strings.Split(strings.TrimRight(t, "/"), "/")
			if len(parts) > 2 {
				parts = parts[len(parts)-2:]
			}
			t, prefix = strings.Join(parts, "/"), "ending in "
		}
		if len(t) > maxTarget {
			t, prefix = t[:maxTarget], "starting with "
		}
	}
	s := spell(t, 24)
	if s == "" {
		return ""
	}
	return prefix + s
}

// punct is how punctuation is read out.
var punct = map[rune]string{
	'/': "slash", '.': "dot", '-': "dash", '_': "underscore", ':': "colon", '@': "at", '~': "tilde",
	'*': "star", '=': "equals", '+': "plus", '#': "hash", ',': "comma", '%': "percent", '&': "and",
}

// spell reads s token by token in a safe alphabet: ASCII letters, digits
// and named punctuation; everything else is dropped. At most maxTokens
// tokens are said.
func spell(s string, maxTokens int) string {
	var out []string
	for _, tok := range tokens(s) {
		if len(out) >= maxTokens {
			out = append(out, "and more")
			break
		}
		switch r := rune(tok[0]); {
		case tok == redact.Mask:
			out = append(out, "a hidden value")
		case isAlnum(r):
			if secretish(tok) {
				out = append(out, "a long value")
			} else {
				out = append(out, tok)
			}
		default:
			if w, ok := punct[r]; ok {
				out = append(out, w)
			}
		}
	}
	return strings.Join(out, " ")
}

// spellWords keeps words and simple punctuation of a phrase (a title): no
// markup, no control characters, nothing that looks like a secret.
func spellWords(s string, maxWords int) string {
	var out []string
	for _, w := range strings.Fields(s) {
		var b strings.Builder
		for _, r := range w {
			if isAlnum(r) || r == '-' || r == '\'' {
				b.WriteRune(r)
			}
		}
		word := strings.Trim(b.String(), "-'")
		if word == "" {
			continue
		}
		if secretish(strings.NewReplacer("-", "", "'", "").Replace(word)) {
			word = "a long value"
		}
		if len(out) == maxWords {
			out = append(out, "and more")
			break
		}
		out = append(out, word)
	}
	return strings.Join(out, " ")
}

func isAlnum(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// tokens splits s into runs of ASCII letters and digits, the redaction
// mask, and single other characters.
func tokens(s string) []string {
	var out []string
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isAlnum(r) {
			if start < 0 {
				start = i
			}
			i += size
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		if strings.HasPrefix(s[i:], redact.Mask) {
			out = append(out, redact.Mask)
			for strings.HasPrefix(s[i:], "*") {
				i++
			}
			continue
		}
		out = append(out, string(r))
		i += size
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// secretish reports a token that may be a key, a token, a hash or a
// number worth keeping off the phone: 7 or more digits; letters and
// digits mixed over 12 characters; or anything over 24 characters.
func secretish(tok string) bool {
	digits, letters := 0, 0
	for _, r := range tok {
		if unicode.IsDigit(r) {
			digits++
		} else {
			letters++
		}
	}
	switch {
	case len(tok) > 24:
		return true
	case digits >= 7:
		return true
	case digits > 0 && letters > 0 && len(tok) > 12:
		return true
	}
	return false
}

// firstPrompt opens the call about the first request.
func firstPrompt(waiting int, r engine.Request, now time.Time) string {
	if waiting <= 1 {
		return "This is Ony. 1 request waiting. " + describe(r, now) + " " + keysHelp
	}
	return "This is Ony. " + strconv.Itoa(waiting) + " requests waiting. First: " + describe(r, now) + " " + keysHelp
}

// nextPrompt asks about the next request.
func nextPrompt(waiting int, r engine.Request, now time.Time) string {
	if waiting <= 1 {
		return "Next, the last one: " + describe(r, now) + " " + keysHelp
	}
	return strconv.Itoa(waiting) + " requests waiting. Next: " + describe(r, now) + " " + keysHelp
}

// Fixed phrases.
const (
	sayAgain        = "Again: "
	sayNoKey        = "I did not hear a key. "
	sayCodePrompt   = "This is critical. Enter your 6-digit code, then press pound."
	sayCodeRetry    = "Enter your 6-digit code once more, then press pound."
	sayCodeWrong    = "That code is wrong. Nothing was approved."
	sayCodeShort    = "That was not 6 digits. Nothing was approved."
	sayApproved     = "Approved."
	sayDenied       = "Denied."
	sayAnsweredElse = "That request was answered at the console."
	sayGoneElse     = "That request is no longer waiting."
	sayKill         = "Kill switch engaged. Every waiting and new request is denied. Goodbye."
	sayKillOn       = "The kill switch is engaged: nothing can be approved. Goodbye."
	sayCannot       = "Ony could not record that answer. Nothing was approved."
	sayGiveUp       = "Nothing was approved for that request."
	sayNothingLeft  = "Nothing else is waiting. Goodbye."
	saySilentBye    = "No key was pressed. Nothing was approved. Goodbye."
	sayStopping     = "Ony is stopping. Nothing more can be approved on this call. Goodbye."
)

// sayUnknownKey answers a key that means nothing here.
func sayUnknownKey(k string) string {
	if k == "" {
		return "That key does nothing here. "
	}
	return "Key " + spell(k, 4) + " does nothing here. "
}
