package shell

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// codeSpec is testSpec with code-valued options, sub-commands and
// variables.
func codeSpec() *Spec {
	s := *testSpec
	s.Programs = map[string]Program{
		"tar": {ValueFlags: []string{"-f", "-C", "-I", "--to-command"}, Code: []CodeArg{
			{Flags: []string{"--to-command", "-I"}, As: AsShell},
			{Flags: []string{"--checkpoint-action"}, Prefixes: []string{"exec="}, As: AsShell},
		}},
		"git": {ValueFlags: []string{"-C", "-c", "-x"}, Code: []CodeArg{
			{Flags: []string{"-x", "--extcmd"}, Subcommands: [][]string{{"difftool"}}, As: AsShell},
			{Subcommands: [][]string{{"bisect", "run"}}, As: AsArgv},
			{Subcommands: [][]string{{"submodule", "foreach"}}, As: AsShell},
		}},
		"deno": {Code: []CodeArg{{Subcommands: [][]string{{"eval"}}, As: AsInline}}},
		"fzf":  {Code: []CodeArg{{Flags: []string{"--bind"}, As: AsUnseen}}},
	}
	s.CodeVars = map[string]CodeVar{
		"GIT_EDITOR":            {As: AsShell},
		"LD_PRELOAD":            {As: AsUnseen},
		"PATH":                  {As: AsPaths},
		"ENV":                   {As: AsPaths, Programs: []string{"sh"}},
		"NODE_OPTIONS":          {As: AsOptions, Safe: []*regexp.Regexp{regexp.MustCompile(`^--max-old-space-size=[0-9]+$`)}},
		"CARGO_TARGET_*_RUNNER": {As: AsShell},
	}
	s.CodeVarPatterns = []string{"CARGO_TARGET_*_RUNNER"}
	return &s
}

func analyzeCode(src string) Analysis {
	return Analyze(src, Options{Spec: codeSpec(), Home: "/home/u", CWD: "/home/u/p"})
}

func TestCodeArgs(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"tar -xf t.tar --to-command='rm -rf x'", []string{"tar -xf t.tar --to-command=rm -rf x", "rm -rf x"}},
		{"tar -xf t.tar --to-command 'a b'", []string{"tar -xf t.tar --to-command a b", "a b"}},
		{"tar -x -I 'zstd -d' -f t.tar", []string{"tar -x -I zstd -d -f t.tar", "zstd -d"}},
		{"tar -cf x . --checkpoint-action=exec='a; b'", []string{"tar -cf x . --checkpoint-action=exec=a; b", "a", "b"}},
		{"tar -cf x . --checkpoint-action=EXEC=a", []string{"tar -cf x . --checkpoint-action=EXEC=a", "a"}},
		{"tar -cf x . --checkpoint-action=dot", []string{"tar -cf x . --checkpoint-action=dot"}},
		{"git difftool -y -x 'a b' HEAD", []string{"git difftool -y -x a b HEAD", "a b"}},
		{"git -x 'a b' log", []string{"git -x a b log"}},
		{"git -C d bisect run make test -v", []string{"git -C d bisect run make test -v", "make test -v"}},
		{"git bisect start", []string{"git bisect start"}},
		{"git submodule foreach --recursive 'a; b'", []string{"git submodule foreach --recursive a; b", "a", "b"}},
		{"git submodule foreach git status", []string{"git submodule foreach git status", "git status"}},
		{"deno eval 'x()'", []string{"deno eval x()"}},
		{"fzf --bind 'start:execute(a)'", []string{"fzf --bind start:execute(a) !"}},
		{"GIT_EDITOR='a b' git commit", []string{"git commit", "a b"}},
		{"export GIT_EDITOR=a", []string{"export GIT_EDITOR=a", "a"}},
		{"GIT_EDITOR=a", []string{"=", "a"}},
		{"env GIT_EDITOR=a git commit", []string{"git commit", "a"}},
		{"LD_PRELOAD=/x.so ls", []string{"ls !"}},
		{"NODE_OPTIONS=--max-old-space-size=4096 node x", []string{"node x"}},
		{"NODE_OPTIONS='--max-old-space-size=1 -r ./x' node x", []string{"node x !"}},
		{"CARGO_TARGET_X86_64_RUNNER='a b' cargo run", []string{"cargo run", "a b"}},
		{"GIT_EDITOR=$E git commit", []string{"git commit !"}},
		{"tar -xf t.tar --to-command=\"$C\"", []string{"tar -xf t.tar --to-command=* !"}},
	}
	for _, tt := range tests {
		if got := names(analyzeCode(tt.src)); !slices.Equal(got, tt.want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.src, got, tt.want)
		}
	}
}

// TestCodeFacts checks how code found in arguments and variables runs: with
// the program's data on its stdin, further arguments, and the program as
// its feeder.
func TestCodeFacts(t *testing.T) {
	an := analyzeCode("tar -xf t.tar --to-command=sh")
	sh := find(an, "sh")
	if sh == nil || sh.Stdin != StdinPipe || !slices.Equal(sh.Feeds, []string{"tar"}) || !strings.Contains(sh.Problem, "code read from a pipe") {
		t.Errorf("--to-command=sh: %+v", sh)
	}
	an = analyzeCode("GIT_EDITOR='rm -rf' git commit")
	if rm := find(an, "rm"); rm == nil || !rm.MoreArgs {
		t.Errorf("an editor receives the file name: %+v", rm)
	}
	an = analyzeCode("git bisect run rm x")
	if rm := find(an, "rm"); rm == nil || rm.MoreArgs || len(rm.Args) != 1 {
		t.Errorf("bisect run: %+v", rm)
	}
	an = analyzeCode("deno eval 'Deno.exit()'")
	if d := find(an, "deno"); d == nil || d.Code == nil || d.Code.Text != "Deno.exit()" || !d.Code.Static {
		t.Errorf("deno eval code: %+v", d)
	}
	an = analyzeCode("PATH=/tmp/x:$PATH:./bin git status")
	g := find(an, "git")
	var loads []string
	for _, w := range g.Loads {
		loads = append(loads, w.Value)
	}
	if !slices.Equal(loads, []string{"/tmp/x", "./bin"}) {
		t.Errorf("PATH loads %q", loads)
	}
	an = analyzeCode("PATH=$EVIL:$PATH git status")
	if g := find(an, "git"); len(g.Loads) != 2 || g.Loads[0].Anchored {
		t.Errorf("PATH with an unknown part: %+v", g.Loads)
	}
	if g := find(analyzeCode("ENV=/x.sh git status"), "git"); len(g.Loads) != 0 {
		t.Errorf("ENV is read by shells only: %+v", g.Loads)
	}
	if s := find(analyzeCode("ENV=/x.sh sh -i"), "sh"); len(s.Loads) != 1 {
		t.Errorf("ENV for a shell: %+v", s.Loads)
	}
}

// TestCodeVarsExported checks the ways a code variable gets its value
// without NAME=value on the command that runs: set earlier and exported,
// read from input, or named by a computed export.
func TestCodeVarsExported(t *testing.T) {
	for src, want := range map[string][]string{
		"GIT_EDITOR='a b'; export GIT_EDITOR; git commit": {"=", "a b", "export GIT_EDITOR", "a b", "git commit"},
		"read -r GIT_EDITOR; export GIT_EDITOR":           {"read -r GIT_EDITOR", "export GIT_EDITOR !"},
		"export $(cat vars)":                              {"cat vars", "export * !"},
		"export FOO":                                      {"export FOO"},
		"export PATH GIT_EDITOR":                          {"export PATH GIT_EDITOR"},
		"export -n X":                                     {"export -n X"},
	} {
		if got := names(analyzeCode(src)); !slices.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", src, got, want)
		}
	}
}

// TestDefaultParam checks ${X:-word} and ${X-word} with X known, and that
// an unknown X or a substitution in the word stays unknown.
func TestDefaultParam(t *testing.T) {
	opts := Options{Spec: testSpec, Home: "/home/u", CWD: "/home/u/p", Vars: map[string]string{"TMPDIR": "", "T2": "/tmp/t"}}
	for src, want := range map[string]struct {
		value  string
		static bool
	}{
		"x ${TMPDIR:-/tmp}/a":      {"/tmp/a", true},
		"x ${TMPDIR-/tmp}/a":       {"/tmp/a", true},
		"x ${T2:-/tmp}/a":          {"/tmp/t/a", true},
		"x ${T2:-$(rm -rf /)}/a":   {"/tmp/t/a", true},
		"x ${TMPDIR:-$(echo /)}/a": {"*/a", false},
		"x ${NOPE:-/tmp}/a":        {"*/a", false},
		"Y=; x ${Y:-/d}":           {"/d", true},
		"x ${TMPDIR:+/tmp}/a":      {"*/a", false},
	} {
		an := Analyze(src, opts)
		c := find(an, "x")
		if c == nil || c.Args[0].Value != want.value || c.Args[0].Static != want.static {
			t.Errorf("%q: %+v, want %q static %v", src, c, want.value, want.static)
		}
	}
	// The substitution in a default is walked once, known or not.
	for _, src := range []string{"x ${T2:-$(rm -rf /)}", "x ${TMPDIR:-$(rm -rf /)}"} {
		an := Analyze(src, opts)
		n := 0
		for _, c := range an.Commands {
			if c.Name == "rm" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q: rm walked %d times", src, n)
		}
	}
}
