package redact

import "strings"

// nameKind is where a name that may hold a secret appears: each place has
// its own words (a "key" is a secret in API_KEY= but mostly a file or an id
// after --key; "code" is a secret in ?code= but an exit code elsewhere).
type nameKind uint8

const (
	kindVar    nameKind = iota // an assignment, a variable, a JSON or YAML key, a header
	kindOption                 // a command-line option, without its dashes
	kindQuery                  // a URL query parameter or fragment
)

// maxName bounds the names looked at: longer ones are not names.
const maxName = 128

// secretName reports whether a value named name is a secret: the name, cut
// into words at -, _, . and camelCase humps, has a secret word (token,
// password, secret, ...) and no word that says the value only describes
// one (file, path, name, id, type, url, ...). PGPASSWORD, GITHUB_TOKEN,
// apiKey, x-api-key and client_secret are secret names; PASSWORD_FILE,
// TOKEN_URL and aws_access_key_id are not.
func secretName(name string, kind nameKind) bool {
	name = strings.TrimLeft(name, "-_$")
	if name == "" || len(name) > maxName {
		return false
	}
	if kind == kindVar && (name == "PWD" || name == "OLDPWD") {
		return false // the shell's working directory
	}
	var buf [maxName]byte
	joined := buf[:0] // lowercase, without separators
	secret, described := false, false
	start := 0
	for i := 0; i <= len(name); i++ {
		end := i == len(name)
		if !end {
			c := name[i]
			sep := c == '-' || c == '_' || c == '.'
			hump := i > start && isUpper(c) && (!isUpper(name[i-1]) || i+1 < len(name) && isLower(name[i+1]))
			if !sep {
				joined = append(joined, lower(c))
			}
			if !sep && !hump {
				continue
			}
		}
		if i > start {
			switch wordClass(name[start:i], kind) {
			case wordSecret:
				secret, described = true, false
			case wordNoun:
				// The last word says what the value is: TOKEN_URL is
				// a URL, ID_TOKEN a token.
				described = described || secret
			case wordVeto:
				return false
			}
		}
		start = i
		if !end && (name[i] == '-' || name[i] == '_' || name[i] == '.') {
			start = i + 1
		}
	}
	if described {
		return false
	}
	return secret || secretSuffix(string(joined))
}

type wordKind uint8

const (
	wordPlain  wordKind = iota
	wordSecret          // the value is a secret
	wordNoun            // after a secret word, the value only describes it: a file, a name, a type, ...
	wordVeto            // the option takes no secret: --no-password, --show-signature, --password-stdin
)

// wordClass classifies one word of a name, in any case.
func wordClass(w string, kind nameKind) wordKind {
	if len(w) > 16 {
		return wordPlain
	}
	var buf [16]byte
	for i := 0; i < len(w); i++ {
		buf[i] = lower(w[i])
	}
	switch string(buf[:len(w)]) {
	case "password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "apikey", "credential",
		"credentials", "otp", "auth", "authorization", "cookie", "jwt", "bearer", "signature", "sig":
		return wordSecret
	case "key":
		if kind != kindOption {
			return wordSecret
		}
	case "code", "session", "sessionid", "sid", "hash", "ticket", "nonce":
		if kind == kindQuery {
			return wordSecret
		}
	case "file", "files", "path", "dir", "env", "cmd", "command", "prompt", "type", "helper", "length",
		"len", "policy", "ttl", "expiry", "expires", "expire", "expiration", "url", "uri", "endpoint", "mode",
		"fd", "method", "timeout", "name", "names", "id", "ids", "count", "hint", "format", "alg",
		"algorithm", "size", "kind", "version", "enabled", "required", "source", "store", "cache", "domain",
		"realm", "provider", "issuer", "audience", "scheme", "plugin", "backend", "email", "scope", "scopes",
		"header", "field", "label", "host", "port", "server", "location", "ref", "arn":
		return wordNoun
	case "no", "stdin", "max", "min", "public", "pub", "enable", "disable", "disabled", "show", "verify",
		"check", "print", "list", "validate", "skip", "ignore", "allow", "use", "with", "without":
		return wordVeto
	}
	return wordPlain
}

// secretSuffix reports compound names written as one word: pgpassword,
// accesstoken, clientsecret, xapikey, storepass, ...
func secretSuffix(joined string) bool {
	for _, suf := range [...]string{"password", "passwd", "passphrase", "token", "secret", "apikey",
		"secretkey", "accesskey", "accountkey", "masterkey", "sharedkey", "storepass", "keypass", "sshpass", "signature",
		"credentials"} {
		if strings.HasSuffix(joined, suf) {
			return true
		}
	}
	return false
}

// headerName reports the headers whose whole value is a credential.
func headerName(name string) bool {
	switch strings.ToLower(strings.TrimLeft(name, "-")) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	return false
}

// authScheme reports an HTTP authentication scheme, kept before the
// credential that follows it.
func authScheme(w string) bool {
	switch strings.ToLower(w) {
	case "bearer", "basic", "token", "digest", "bot", "negotiate", "ntlm", "apikey", "api-key",
		"aws4-hmac-sha256", "hmac", "sso-key", "dpop", "mac", "hoba", "mutual", "gnap", "privatetoken":
		return true
	}
	return false
}
