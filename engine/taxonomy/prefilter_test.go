package taxonomy

import (
	"regexp"
	"strings"
	"testing"
)

// TestSearchEquivalence checks that the literal shortcuts of searches and
// patterns never change a result: over every search and pattern of the
// default taxonomy and every corpus command, the fast path agrees with
// the regular expression.
func TestSearchEquivalence(t *testing.T) {
	tx := defaultTaxonomy(t)
	var searches []*search
	var pats []*pattern
	addShell := func(sr *shellRule) {
		searches = append(searches, sr.contains...)
		pats = append(pats, sr.sub...)
		pats = append(pats, sr.args...)
		pats = append(pats, sr.noArgs...)
		pats = append(pats, sr.assigns...)
		pats = append(pats, sr.vars...)
		for _, fc := range sr.flagValues {
			pats = append(pats, fc.p)
		}
	}
	for _, rs := range tx.byProgram {
		for _, r := range rs {
			addShell(r.shell)
		}
	}
	for _, r := range tx.globalShell {
		addShell(r.shell)
	}
	for _, r := range tx.urlRules {
		searches = append(searches, r.url.contains...)
		pats = append(pats, r.url.hosts...)
		pats = append(pats, r.url.schemes...)
	}
	texts := []string{"", "DROP TABLE x", "drop   table", "ſubprocess", "import os; os.system('x')", "Socket", "ssh"}
	for _, c := range readCorpus(t) {
		texts = append(texts, c.command, strings.ToUpper(c.command))
		texts = append(texts, strings.Fields(c.command)...)
	}
	sets := 0
	for _, p := range pats {
		if p.set != nil {
			sets++
		}
		for _, s := range texts {
			if got, want := p.match(s), p.re.MatchString(s); got != want {
				t.Errorf("pattern %q on %q: fast %v, regexp %v", p.src, s, got, want)
			}
		}
	}
	for _, s := range searches {
		for _, text := range texts {
			if got, want := s.match(text, strings.ToLower(text)), s.re.MatchString(text); got != want {
				t.Errorf("search %q on %q: fast %v, regexp %v", s.re, text, got, want)
			}
		}
	}
	if sets == 0 || len(searches) == 0 {
		t.Fatalf("nothing checked: %d sets, %d searches", sets, len(searches))
	}
}

func TestSearchSplit(t *testing.T) {
	src := `(?i)(subprocess|shutil\.|os\.(system|popen))`
	s := newSearch(regexp.MustCompile(src), src)
	if s.factors == nil {
		t.Error("no prefilter")
	}
	for text, want := range map[string]bool{
		"import SUBPROCESS": true, "os.popen(x)": true, "OS.SYSTEM": true, "shutil.rmtree": true,
		"shutilx": false, "os.walk": false, "": false, "ſubprocess": true,
	} {
		if got := s.match(text, strings.ToLower(text)); got != want {
			t.Errorf("%q = %v, want %v", text, got, want)
		}
	}
}

func TestEnumerate(t *testing.T) {
	b := &builder{d: decoder{name: "t"}, vars: builtinVars(testEnv())}
	for src, want := range map[string]int{
		"push": 1, "(status|diff|log)": 3, "db:(drop|reset)": 2, "-?[xc]": 4, "a.*": -1, "(?i)push": -1, "[a-z]+": -1,
	} {
		p, err := b.compilePattern(str{s: src})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.set); want < 0 && p.set != nil || want >= 0 && got != want {
			t.Errorf("%q: set of %d (nil %v), want %d", src, got, p.set == nil, want)
		}
	}
}
