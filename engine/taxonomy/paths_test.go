package taxonomy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// fsFixture builds a real directory tree: a home with Ony's state and an
// SSH key, and a project holding symbolic links into them.
type fsFixture struct {
	home, project, ony string
	tx                 *Taxonomy
}

func newFSFixture(t *testing.T) *fsFixture {
	t.Helper()
	root := t.TempDir()
	f := &fsFixture{home: filepath.Join(root, "home")}
	f.project = filepath.Join(f.home, "src", "app")
	f.ony = filepath.Join(f.home, ".local", "state", "ony")
	for _, d := range []string{f.project, filepath.Join(f.ony, "keys"), filepath.Join(f.home, ".ssh")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(f.ony, "keys", "device"):      "k",
		filepath.Join(f.home, ".ssh", "id_ed25519"): "k",
		filepath.Join(f.project, "main.go"):         "package main",
		filepath.Join(f.project, "util.go"):         "package main",
		filepath.Join(f.project, "server.pem"):      "pem",
		filepath.Join(f.project, ".env"):            "A=1",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(f.project, "keys"):      filepath.Join(f.ony, "keys"),
		filepath.Join(f.project, "notes.txt"): "../../.ssh/id_ed25519",
		filepath.Join(f.project, "loop"):      "loop",
	}
	for l, target := range links {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.tx, err = Load(data, "taxonomy.yaml", Env{Home: f.home, OnyRoots: []string{f.ony}, OnyBinary: "/nonexistent/ony-tui"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fsFixture) shell(cmd string) *wire.ToolCall {
	return &wire.ToolCall{Kind: wire.KindShell, ToolName: "Bash", Command: cmd, CWD: f.project, ProjectDir: f.project}
}

// TestSymlinks checks that a path is classified where it leads too: an
// agent cannot reach Ony's keys or an SSH key through a link in the
// project.
func TestSymlinks(t *testing.T) {
	f := newFSFixture(t)
	tests := []struct {
		cmd    string
		risk   Risk
		action string
	}{
		{"cat keys/device", Critical, "ony.tamper"},
		{"ls keys", Critical, "ony.tamper"},
		{"echo x > keys/new", Critical, "ony.tamper"},
		{"mkdir -p keys/a/b && touch keys/a/b/c", Critical, "ony.tamper"},
		{"cat notes.txt", Critical, "secret.credentials"},
		{"cat main.go", Low, "file.read"},
		{"cat loop", Low, "file.read"},
	}
	for _, tt := range tests {
		got := f.tx.Classify(f.shell(tt.cmd))
		if got.Risk != tt.risk || got.Action != tt.action {
			t.Errorf("%q = %s %s (%s, target %q), want %s %s", tt.cmd, got.Risk, got.Action, got.Matcher, got.Target, tt.risk, tt.action)
		}
	}
	read := &wire.ToolCall{Kind: wire.KindFileRead, ToolName: "Read", Paths: []string{filepath.Join(f.project, "keys", "device")}, CWD: f.project, ProjectDir: f.project}
	if got := f.tx.Classify(read); got.Risk != Critical || got.Action != "ony.tamper" {
		t.Errorf("Read through a link = %s %s", got.Risk, got.Action)
	}
}

// TestProjectThroughLink checks that a project reached through a symbolic
// link is still the project.
func TestProjectThroughLink(t *testing.T) {
	f := newFSFixture(t)
	alias := filepath.Join(filepath.Dir(f.home), "work")
	if err := os.Symlink(f.project, alias); err != nil {
		t.Fatal(err)
	}
	c := &wire.ToolCall{Kind: wire.KindFileWrite, ToolName: "Write", Paths: []string{filepath.Join(f.project, "new.go")}, CWD: alias, ProjectDir: alias}
	if got := f.tx.Classify(c); got.Risk != Low {
		t.Errorf("write in the real project while ProjectDir is a link: %s %s (%s)", got.Risk, got.Action, got.Matcher)
	}
}

// TestGlobExpansion checks that a shell glob is classified by what it
// expands to on this machine, as the shell would (no dot files for *).
func TestGlobExpansion(t *testing.T) {
	f := newFSFixture(t)
	tests := []struct {
		cmd    string
		risk   Risk
		action string
	}{
		{"ls *.go", Low, "fs.search"},
		{"cat *.go", Low, "file.read"},
		{"cat *", Critical, "ony.tamper"},
		{"cat *.pem", Critical, "secret.credentials"},
		{"cat .e*", High, "secret.read"},
		{"cat *.nothing", Low, "file.read"},
	}
	for _, tt := range tests {
		got := f.tx.Classify(f.shell(tt.cmd))
		if got.Risk != tt.risk || got.Action != tt.action {
			t.Errorf("%q = %s %s (%s, target %q), want %s %s", tt.cmd, got.Risk, got.Action, got.Matcher, got.Target, tt.risk, tt.action)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, path string
		pattern    bool
		want       bool
	}{
		{"/home/u/.ssh/**", "/home/u/.ssh/id_rsa", false, true},
		{"/home/u/.ssh/**", "/home/u/.ssh", false, true},
		{"/home/u/.ssh/**", "/home/u/.sshx/id", false, false},
		{"/**/.env", "/p/.env", false, true},
		{"/**/.env", "/p/a/b/.env", false, true},
		{"/**/.env", "/p/x.env", false, false},
		{"/**/*.pem", "/p/server.pem", false, true},
		{"/**/*.pem", "/p/server.pem.bak", false, false},
		{"/**/id_rsa*", "/h/.ssh/id_rsa.pub", false, true},
		{"/etc/cron*/**", "/etc/cron.d/job", false, true},
		{"/etc/[a-c]*", "/etc/bash.bashrc", false, true},
		{`/x/\*`, "/x/*", false, true},
		{`/x/\*`, "/x/a", false, false},
		// patterns: some path matches both
		{"/home/u/.ssh/**", "/home/u/.s*/id_rsa", true, true},
		{"/home/u/.ssh/**", "/home/u/*", true, false}, // * never starts a dot file
		{"/home/u/.ssh/**", "/home/*/.ssh", true, true},
		{"/**/*.pem", "/p/*", true, true},
		{"/**/*.pem", "/p/*.go", true, false},
		{"/**/.env.*", "/p/*.go", true, false},
		{"/**/.env", "/p/.e*", true, true},
		{"/**/.env", "/p/**", true, true},
		{"/a/b/c", "/a/**", true, true},
		{"/a/b/c", "/x/**", true, false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.glob)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.glob, err)
		}
		if got := g.match(newCPath(tt.path, tt.pattern)); got != tt.want {
			t.Errorf("%q matches %q (pattern %v) = %v, want %v", tt.glob, tt.path, tt.pattern, got, tt.want)
		}
	}
	if _, err := compileGlob("relative/x"); err == nil {
		t.Error("compileGlob accepted a relative glob")
	}
	if _, err := compileGlob("/x/[a"); err == nil {
		t.Error("compileGlob accepted a malformed glob")
	}
}

func TestTokIntersect(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"*.env", "*.go", false},
		{".env.*", "*.go", true},
		{"a*", "*b", true},
		{"abc", "a?c", true},
		{"abc", "abd", false},
		{"*x*", "y*", true},
		{"x", "*", true},
		{"", "*", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := tokIntersect(tokens(tt.a, false), tokens(tt.b, false)); got != tt.want {
			t.Errorf("tokIntersect(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestExpandBraces(t *testing.T) {
	got, err := expandBraces("~/.{bash,zsh}rc{,.local}", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"~/.bashrc", "~/.bashrc.local", "~/.zshrc", "~/.zshrc.local"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if _, err := expandBraces("{a,b", 10); err == nil {
		t.Error("unclosed brace accepted")
	}
	if _, err := expandBraces("{a,b}{c,d}{e,f}", 4); err == nil {
		t.Error("over-limit expansion accepted")
	}
}
