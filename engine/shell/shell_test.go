package shell

import (
	"slices"
	"strings"
	"testing"
)

var testSpec = &Spec{
	BinDirs: []string{"/bin", "/usr/bin"},
	Wrappers: map[string]Wrapper{
		"sudo":    {ValueFlags: []string{"-u"}, QueryFlags: []string{"-l"}},
		"env":     {Assigns: true, ValueFlags: []string{"-u"}},
		"timeout": {Operands: 1, ValueFlags: []string{"-s"}},
		"nice":    {ValueFlags: []string{"-n"}},
		"xargs":   {MoreArgs: true, ValueFlags: []string{"-I", "-n"}},
		"command": {QueryFlags: []string{"-v"}},
		"bundle":  {Subcommands: []string{"exec"}},
	},
	Interpreters: map[string]Interpreter{
		"bash":    {Shell: true, OperandFlags: []string{"-c"}, StdinFlags: []string{"-s"}, ValueFlags: []string{"-o"}},
		"sh":      {Shell: true, OperandFlags: []string{"-c"}, StdinFlags: []string{"-s"}},
		"eval":    {Shell: true, CodeOperand: OperandRest},
		"trap":    {Shell: true, CodeOperand: OperandFirst},
		"alias":   {Shell: true, CodeOperand: OperandAssign},
		"source":  {Shell: true},
		"python3": {CodeFlags: []string{"-c"}, RunFlags: []string{"-m"}},
	},
	Embeds: map[string]Embed{"find": {Start: []string{"-exec"}, End: []string{";", "+"}}},
}

func analyze(src string) Analysis {
	return Analyze(src, Options{Spec: testSpec, Home: "/home/u", CWD: "/home/u/p", Vars: map[string]string{"XDG_STATE_HOME": "/home/u/.local/state"}})
}

// names renders the commands of an analysis compactly: name and argument
// values, with a marker for problems.
func names(an Analysis) []string {
	var out []string
	for _, c := range an.Commands {
		s := c.Name
		if c.Kind == KindBare {
			s = "="
		}
		for _, a := range c.Args {
			s += " " + a.Value
		}
		if c.Problem != "" {
			s += " !"
		}
		out = append(out, s)
	}
	for _, p := range an.Problems {
		out = append(out, "problem: "+p.Reason)
	}
	return out
}

func TestSplitting(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"a | b | c", []string{"a", "b", "c"}},
		{"a && b || c; d &", []string{"a", "b", "c", "d"}},
		{"(a; b) && { c; }", []string{"a", "b", "c"}},
		{"echo $(a) `b` <(c) >(d)", []string{"a", "b", "c", "d", "echo * * * *"}},
		{"f() { a; }; f", []string{"a", "f"}},
		{"if a; then b; elif c; then d; else e; fi", []string{"a", "b", "c", "d", "e"}},
		{"while a; do b; done; until c; do d; done", []string{"a", "b", "c", "d"}},
		{"for x in 1 2; do echo $x; done", []string{"for 1 2", "echo *"}},
		{"case $x in a) b ;; *) c ;; esac", []string{"b", "c"}},
		{"[[ -f $(a) ]] && (( $(b) ))", []string{"a", "b"}},
		{"x=$(a) y=${z:-$(b)}", []string{"a", "b", "="}},
		{"time a; ! b; coproc c", []string{"a", "b", "c"}},
		{"bash -c 'a; b'", []string{"bash -c a; b", "a", "b"}},
		{`sh -c "bash -c 'c'"`, []string{"sh -c bash -c 'c'", "bash -c c", "c"}},
		{"eval 'a | b'", []string{"eval a | b", "a", "b"}},
		{"bash <<'EOF'\na\nb\nEOF", []string{"bash", "a", "b"}},
		{"bash <<< 'a; b'", []string{"bash", "a", "b"}},
		{"trap 'a' EXIT", []string{"trap a EXIT", "a"}},
		{"alias x='a b'", []string{"alias x=a b", "a b"}},
		{"find . -exec rm {} +", []string{"find . -exec rm {} +", "rm {}"}},
		{"sudo -u root a b", []string{"a b"}},
		{"env -u X A=1 a", []string{"a"}},
		{"timeout -s KILL 5 nice -n 3 a", []string{"a"}},
		{"xargs -I{} a {}", []string{"a {}"}},
		{"command -v a", []string{"command -v a"}},
		{"command a", []string{"a"}},
		{"sudo -l", []string{"sudo -l"}},
		{"env", []string{"env"}},
		{"bundle exec rake", []string{"rake"}},
		{"bundle install", []string{"bundle install"}},
		{"/usr/bin/a x", []string{"a x"}},
		{`\a "b"c 'd'`, []string{"a bc d"}},
		{`$'\x61' $'\101'`, []string{"a A"}},
		{"a {b,c}d", []string{"a bd cd"}},
		{"{a,b}", []string{"a b"}},
		{"> f", []string{"="}},
	}
	for _, tt := range tests {
		if got := names(analyze(tt.src)); !slices.Equal(got, tt.want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.src, got, tt.want)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		src      string
		value    string
		static   bool
		anchored bool
		glob     bool
	}{
		{"x ~/a", "/home/u/a", true, true, false},
		{"x ~", "/home/u", true, true, false},
		{"x ~root/a", "*/a", false, false, false},
		{"x $HOME/.ssh", "/home/u/.ssh", true, true, false},
		{"x ${XDG_STATE_HOME}/ony", "/home/u/.local/state/ony", true, true, false},
		{"x $PWD/f", "/home/u/p/f", true, true, false},
		{"x $(pwd)/f", "/home/u/p/f", true, true, false},
		{"x $UNSET/f", "*/f", false, false, false},
		{"x a$UNSET", "a*", false, true, false},
		{"x *.go", "*.go", true, true, true},
		{`x "*.go"`, "*.go", true, true, false},
		{`x \*.go`, "*.go", true, true, false},
		{"x [", "[", true, true, false},
		{"x [ab]", "[ab]", true, true, true},
		{"X=/etc; x $X/passwd", "/etc/passwd", true, true, false},
		{`X="a b"; x $X`, "*", false, false, false},
		{`X="a b"; x "$X"`, "a b", true, true, false},
		{"X=$(date); x $X", "*", false, false, false},
		{"for f in a.go b.go; do x $f; done", "*.go", false, true, true},
		{"for f in /a/x /b/x; do x $f; done", "/*/x", false, true, true},
		{"read X; x $X", "*", false, false, false},
		{"x ${#HOME}", "*", false, false, false},
	}
	for _, tt := range tests {
		an := analyze(tt.src)
		var w *Word
		for i := range an.Commands {
			if an.Commands[i].Name == "x" {
				w = &an.Commands[i].Args[0]
			}
		}
		if w == nil {
			t.Errorf("%q: no x command: %q", tt.src, names(an))
			continue
		}
		if w.Value != tt.value || w.Static != tt.static || w.Anchored != tt.anchored || w.Glob != tt.glob {
			t.Errorf("%q: got %q static=%v anchored=%v glob=%v, want %q %v %v %v",
				tt.src, w.Value, w.Static, w.Anchored, w.Glob, tt.value, tt.static, tt.anchored, tt.glob)
		}
	}
}

func find(an Analysis, name string) *Command {
	for i := range an.Commands {
		if an.Commands[i].Name == name {
			return &an.Commands[i]
		}
	}
	return nil
}

func TestCommandFacts(t *testing.T) {
	an := analyze("curl -s x | sudo bash -s -- -y")
	b := find(an, "bash")
	if b == nil || b.Stdin != StdinPipe || !slices.Equal(b.Feeds, []string{"curl"}) || !slices.Equal(b.Wrappers, []string{"sudo"}) ||
		b.Code == nil || b.Code.Static || b.Code.From != FromStdin || !strings.Contains(b.Problem, "code read from a pipe") {
		t.Errorf("pipe to bash: %+v", b)
	}
	an = analyze(`bash -c "$(curl -s x)"`)
	if b := find(an, "bash"); b == nil || !slices.Contains(b.Feeds, "curl") || b.Problem == "" {
		t.Errorf("bash -c substitution: %+v", b)
	}
	if c := find(an, "curl"); c == nil || !c.InSubst {
		t.Errorf("curl in substitution: %+v", c)
	}
	an = analyze("python3 -c 'print(1)'; python3 - <<'EOF'\nprint(2)\nEOF\npython3 x.py; python3 -m http.server")
	var codes []string
	for _, c := range an.Commands {
		if c.Code != nil {
			codes = append(codes, c.Code.Text)
		} else {
			codes = append(codes, "-")
		}
	}
	if !slices.Equal(codes, []string{"print(1)", "print(2)\n", "-", "-"}) {
		t.Errorf("python code: %q", codes)
	}
	an = analyze("wc -l < in.txt > out.txt 2>&1")
	w := find(an, "wc")
	if w == nil || w.Stdin != StdinFile || len(w.Redirs) != 2 || w.Redirs[0].Access != Read || w.Redirs[1].Access != Write || w.Redirs[1].Target.Value != "out.txt" {
		t.Errorf("redirections: %+v", w)
	}
	an = analyze("psql <<EOF\nselect $X;\nEOF")
	if p := find(an, "psql"); p == nil || p.Stdin != StdinHeredoc || p.Input != "" {
		t.Errorf("dynamic heredoc input must not be static text: %+v", p)
	}
	an = analyze("psql <<'EOF'\nselect 1;\nEOF")
	if p := find(an, "psql"); p == nil || p.Input != "select 1;\n" {
		t.Errorf("heredoc input: %+v", p)
	}
	an = analyze("echo $GITHUB_TOKEN ${AWS_KEY:-x}")
	if e := find(an, "echo"); e == nil || !slices.Equal(e.Vars, []string{"GITHUB_TOKEN", "AWS_KEY"}) {
		t.Errorf("vars: %+v", e)
	}
	an = analyze("./build.sh; bin/x; f() { :; }; f; X=1 Y=2")
	kinds := []CommandKind{KindScript, KindScript, KindProgram, KindFunction, KindBare}
	for i, k := range kinds {
		if an.Commands[i].Kind != k {
			t.Errorf("command %d (%q) kind %d, want %d", i, an.Commands[i].Text, an.Commands[i].Kind, k)
		}
	}
	if bare := an.Commands[4]; len(bare.Assigns) != 2 || bare.Assigns[1].Name != "Y" || bare.Assigns[1].Value.Value != "2" {
		t.Errorf("assignments: %+v", bare.Assigns)
	}
}

func TestDirectories(t *testing.T) {
	tests := []struct {
		src  string
		dirs []string
	}{
		{"x", []string{"/home/u/p"}},
		{"cd /tmp && x", []string{"/tmp"}},
		{"cd sub; cd ..; cd a && x", []string{"/home/u/p/a"}},
		{"cd && x", []string{"/home/u"}},
		{"(cd /tmp); x", []string{"/home/u/p"}},
		{"true && cd /tmp && x", []string{"/tmp"}},
		{"cd /tmp || x", []string{"/tmp", "/home/u/p"}},
		{"cd /a || cd /b; x", []string{"/a", "/b"}},
		{"if c; then cd /a; else cd /b; fi; x", []string{"/home/u/p", "/a", "/b"}},
		{"cd $D && x", nil},
		{"cd - && x", nil},
		{"cd /a | x", []string{"/home/u/p"}},
	}
	for _, tt := range tests {
		c := find(analyze(tt.src), "x")
		if c == nil || !slices.Equal(c.Dirs, tt.dirs) {
			t.Errorf("%q: dirs %q, want %q", tt.src, c.Dirs, tt.dirs)
		}
	}
}

func TestProblems(t *testing.T) {
	tests := []struct{ src, reason string }{
		{"$X a", "the program name is computed at run time"},
		{"$(echo rm) a", "the program name is computed at run time"},
		{"`echo rm`", "the program name is computed at run time"},
		{"X=rm; $X a", "the program name is computed at run time"},
		{"*.sh", "the program name is computed at run time"},
		{"eval $X", "runs code Ony cannot see"},
		{`bash -c "$X"`, "runs code Ony cannot see"},
		{"bash script_$X.sh", "runs code Ony cannot see"},
		{"cat x | sh", "code read from a pipe"},
		{"sh < x", "code read from a redirected file"},
		{"bash", "code read from standard input"},
		{"bash <<EOF\n$X\nEOF", "a here-document with run-time substitutions"},
		{"python3 -c \"$CODE\"", "runs code Ony cannot see"},
		{":(){ :|:& };:", "calls itself"},
		{"echo 'x", "shell parse error"},
		{`bash -c 'echo "x'`, "cannot parse the shell code run by bash"},
		{"", "empty command"},
		{strings.Repeat("( ", 40) + "a" + strings.Repeat(" )", 40), "nesting deeper than 32 levels"},
		{strings.Repeat("a;", 5000), "too complex"},
		{strings.Repeat("{ ", 600) + "a" + strings.Repeat("; }", 600), "brackets nest more than 512 levels deep"},
		{strings.Repeat("a", 70000), "more than the 65536 analysed"},
		{"x='$(rm -rf /)'; echo $((x))", "arithmetic evaluates code held in variable x"},
	}
	for _, tt := range tests {
		an := analyze(tt.src)
		found := false
		for _, c := range an.Commands {
			found = found || strings.Contains(c.Problem, tt.reason)
		}
		for _, p := range an.Problems {
			found = found || strings.Contains(p.Reason, tt.reason)
		}
		if !found {
			t.Errorf("%q: no problem %q in %q", tt.src, tt.reason, names(an))
		}
	}
	// Good commands report no problem at all.
	for _, src := range []string{"ls -la", "cd /tmp && make", "bash -c 'ls'", "python3 -c 'print(1)'", "git log | head"} {
		an := analyze(src)
		if len(an.Problems) > 0 {
			t.Errorf("%q: %+v", src, an.Problems)
		}
		for _, c := range an.Commands {
			if c.Problem != "" {
				t.Errorf("%q: %q", src, c.Problem)
			}
		}
	}
}

// TestHostileInputHitsALimit checks that hostile input is stopped by the
// size, depth and step limits (which bound the work, so the analysis stays
// linear in the input) rather than walked in full. How long it takes is
// measured by BenchmarkClassifyLinear and BenchmarkClassifyHostile in
// engine/taxonomy, not by a timed test.
func TestHostileInputHitsALimit(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("$(", 30000) + strings.Repeat(")", 30000),
		strings.Repeat("{ ", 20000) + strings.Repeat("}", 20000),
		strings.Repeat("a|", 30000) + "a",
		strings.Repeat("a && ", 13000) + "a",
		strings.Repeat("a || ", 13000) + "a",
		strings.Repeat("eval ", 10000) + "a",
		strings.Repeat("${x:-", 10000) + strings.Repeat("}", 10000),
		strings.Repeat("(", 500) + "a" + strings.Repeat(")", 500),
	} {
		src = src[:min(len(src), DefaultMaxBytes)]
		an := analyze(src)
		if len(an.Problems) == 0 {
			t.Errorf("%.20q: analysed in full, no limit hit (%d commands)", src, len(an.Commands))
		}
		if len(an.Commands) > DefaultMaxCommands {
			t.Errorf("%.20q: %d commands kept, more than the limit %d", src, len(an.Commands), DefaultMaxCommands)
		}
	}
}
