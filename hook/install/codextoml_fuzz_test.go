package install

import (
	"bytes"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// FuzzTOMLInstall feeds arbitrary requirements.toml files to the Codex
// system install: it never panics; whatever it accepts it turns into a file
// that parses, holds exactly one Ony entry per event and the managed-only
// switches; and taking Ony's blocks out again gives back the original bytes.
func FuzzTOMLInstall(f *testing.F) {
	for _, seed := range []string{
		"",
		"# comment only\n",
		"approval_policy = \"on-request\"\n\n[features]\nweb_search = false\n",
		"[features]\nhooks = true\n[[hooks.PostToolUse]]\nmatcher = \"Bash\"\n[[hooks.PostToolUse.hooks]]\ntype = \"command\"\ncommand = \"/opt/a\"\n",
		"allow_managed_hooks_only = true\n[hooks]\nmanaged_dir = \"/opt/hooks\"\n",
		"[features] # trailing\nx = 1",
		"s = '''\n[features]\n'''\n",
		"[ features ]\n",
		"key = \"no newline at the end\"",
	} {
		f.Add([]byte(seed))
	}
	s := spec{binary: "/usr/local/lib/ony/ony-tui", deadline: 5 * time.Minute, timeout: 6 * time.Minute, system: true}
	f.Fuzz(func(t *testing.T, base []byte) {
		if hasTOMLMarks(base) {
			return
		}
		out, err := tomlInstalled(base, s)
		if err != nil {
			return
		}
		if err := verifyTOML(out, s.binary); err != nil {
			// The edit must never produce a file it would not accept; a
			// file whose own structure forbids the edit (an inline hooks
			// array, say) must be refused by this check, never written.
			var probe map[string]any
			if toml.Unmarshal(out, &probe) == nil {
				t.Fatalf("an installed file parses but fails verification: %v\n%s", err, out)
			}
			return
		}
		back, err := stripTOML(out)
		if err != nil {
			t.Fatalf("stripping Ony's blocks: %v\n%s", err, out)
		}
		if !bytes.Equal(back, base) && !bytes.Equal(back, append(append([]byte{}, base...), '\n')) {
			t.Fatalf("uninstall does not give back the original:\n%q\nwant\n%q", back, base)
		}
	})
}
