package phone

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestShapesMatchTheirRegexps checks each shape function against the
// regular expression it stands for, on hand-picked edges and on random
// strings drawn from the characters that matter.
func TestShapesMatchTheirRegexps(t *testing.T) {
	shapes := []struct {
		name string
		re   *regexp.Regexp
		fn   func(string) bool
		seed []string
	}{
		{"e164", regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`), isE164,
			[]string{"+15551234567", "+1555123", "+155512", "+0555123456", "+123456789012345", "+1234567890123456", "15551234567", "+1555 123456", ""}},
		{"space", regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`), isSpaceName,
			[]string{"a", "-", "a-", "-a", "acme-1", "ACME", "a.b", string(make([]byte, 64))}},
		{"project", regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`), isProjectID,
			[]string{"1234567", "12345678", "abcd-EFGH", "abcd_efgh", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}},
		{"language", regexp.MustCompile(`^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$`), isLanguage,
			[]string{"en", "en-US", "de-DE-1996", "en-US-x-y", "e", "engl", "en-", "-en", "en--US", "en-U", "en-ABCDEFGHI", "EN"}},
		{"device", regexp.MustCompile(`^dev_[0-9a-f]{8}$`), isDeviceID,
			[]string{"dev_0123abcd", "dev_0123ABCD", "dev_0123abc", "dev_0123abcde", "dex_0123abcd", ""}},
	}
	const alphabet = "+-_aAzZ09159dev.fgx "
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		check := func(in string) {
			if got, want := s.fn(in), s.re.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the regexp says %v", s.name, in, got, want)
			}
		}
		for _, in := range s.seed {
			check(in)
		}
		for i := 0; i < 200000; i++ {
			b := make([]byte, r.IntN(20))
			for j := range b {
				b[j] = alphabet[r.IntN(len(alphabet))]
			}
			if r.IntN(4) == 0 && len(b) > 4 { // shapes that nearly match
				copy(b, "dev_")
			}
			if r.IntN(4) == 0 && len(b) > 1 {
				b[0] = '+'
			}
			check(string(b))
		}
	}
}
