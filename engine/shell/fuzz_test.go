package shell

import "testing"

// FuzzAnalyze checks that the analyser never panics and keeps to its
// limits on arbitrary input.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"ls", "a | b && c", "bash -c 'x'", "$(a)", "for x in a; do $x; done", "cat <<E\n$x\nE",
		"tar -xf t --to-command='a; b' --checkpoint-action=exec=c", "git -C d bisect run x y", "GIT_EDITOR='a b' git commit",
		"export GIT_EDITOR; PATH=/x:$PATH y", "echo ${X:-${Y-$(z)}}", "deno eval 'x'", "fzf --bind q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		an := Analyze(src, Options{Spec: codeSpec(), Home: "/home/u", CWD: "/home/u/p"})
		if len(an.Commands) > DefaultMaxCommands {
			t.Fatalf("%d commands", len(an.Commands))
		}
		if len(an.Commands) == 0 && len(an.Problems) == 0 {
			t.Fatalf("no command and no problem for %q", src)
		}
		for _, c := range an.Commands {
			if c.Kind == 0 && c.Problem == "" {
				t.Fatalf("command without kind or problem: %+v", c)
			}
		}
	})
}
