package taxonomy

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestNameCheckersMatchTheirRegexps compares isActionID and isVarName with
// the regular expressions they document, on hand-picked edge cases and on
// random strings over the alphabet that matters.
func TestNameCheckersMatchTheirRegexps(t *testing.T) {
	actionRe := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)
	varRe := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	cases := []string{"", "a", "a.b", "a..b", "a.", ".a", "a._", "a.1", "1a", "_a", "A", "fs.read_file",
		"net.fetch.", "x.y.z", "é", "a\n", "A_1", "_", "__", "1A", "A-B", "a.B", "aZ"}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abzAZ09_.-é\x00"
	for range 200000 {
		b := make([]byte, r.IntN(7))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := isActionID(s), actionRe.MatchString(s); got != want {
			t.Errorf("isActionID(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := isVarName(s), varRe.MatchString(s); got != want {
			t.Errorf("isVarName(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
