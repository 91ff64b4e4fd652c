package redact

import "strings"

// adversarial returns inputs of about n bytes built to make a careless
// scanner quadratic: every pass's trigger repeated, quotes that never
// close, runs that almost match.
func adversarial(n int) map[string]string {
	rep := func(unit string) string { return strings.Repeat(unit, max(1, n/len(unit))) }
	return map[string]string{
		"unclosed-quotes": rep(`TOKEN="a `),
		"unclosed-single": rep(`PASSWORD='x `),
		"separators":      rep("a=b:"),
		"name-runs":       rep("abcdefgh_"),
		"sk-dashes":       rep("sk-"),
		"jwt-heads":       rep("eyJ-"),
		"jwt-dots":        rep("eyJabcdefgh."),
		"pem-begins":      rep("-----BEGIN PRIVATE KEY-----"),
		"pem-labels":      rep("-----BEGIN AAAAAAAA "),
		"urls":            rep("://a:b@"),
		"url-authority":   rep("https://" + strings.Repeat("u", 20)),
		"bearers":         rep("bearer "),
		"headers":         rep("authorization: "),
		"header-quotes":   rep(`"authorization": "`),
		"options":         rep("--password "),
		"mysql":           rep("mysql -p"),
		"backslashes":     rep(`\`),
		"mixed-quotes":    rep(`'"` + "`"),
		"base64":          rep("aB3dE5fG7hJ9kL1m"),
		"slack-hooks":     rep("hooks.slack.com/services/a"),
		"query":           rep("?token=&"),
		"nested-subst":    rep("$(TOKEN=$("),
		"secrets-scope":   rep("secrets k=v "),
		"setter":          rep("set TOKEN "),
		"aws-almost":      rep("AKIAAAAAAAAAAAAAAAAAAAAA "),
	}
}
