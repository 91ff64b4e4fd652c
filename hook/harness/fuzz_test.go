package harness

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Seeds live in testdata/fuzz/FuzzParse<Harness>/; they are the reference
// examples and the realistic variants the table tests use.

func FuzzParseClaude(f *testing.F) { fuzzParse(f, claudeAdapter{}, nil) }
func FuzzParseCodex(f *testing.F)  { fuzzParse(f, codexAdapter{}, nil) }
func FuzzParseCursor(f *testing.F) {
	fuzzParse(f, cursorAdapter{}, map[string]string{"CURSOR_PROJECT_DIR": "/p"})
}
func FuzzParseGemini(f *testing.F) {
	fuzzParse(f, geminiAdapter{}, map[string]string{"GEMINI_PROJECT_DIR": "/p"})
}
func FuzzParseCopilot(f *testing.F) {
	fuzzParse(f, copilotAdapter{}, map[string]string{EnvEvent: "preToolUse"})
}

// fuzzParse checks that Parse never panics, that any call it returns is
// valid, and that whatever it returns can be answered: Encode and
// DenyWithoutInput write at most one JSON object and exit 0 or 2.
func fuzzParse(f *testing.F, a Adapter, env map[string]string) {
	f.Fuzz(func(t *testing.T, stdin []byte) {
		c, ev, err := a.Parse(stdin, envOf(env))
		if err == nil {
			switch {
			case c == nil:
				t.Fatal("nil call without an error")
			case !c.Kind.Valid():
				t.Fatalf("invalid kind %q", c.Kind)
			case c.Harness != a.Name():
				t.Fatalf("harness %q", c.Harness)
			case c.ToolName == "":
				t.Fatal("empty tool name")
			case c.Event != string(ev) || ev == "":
				t.Fatalf("event %q vs %q", c.Event, ev)
			}
			if b, err := hex.DecodeString(c.InputDigest); err != nil || len(b) != 32 {
				t.Fatalf("input digest %q", c.InputDigest)
			}
			if _, err := finish(c); err != nil {
				t.Fatalf("returned call fails its own limits: %v", err)
			}
			if _, err := json.Marshal(c); err != nil {
				t.Fatalf("call does not encode: %v", err)
			}
		} else if c != nil {
			t.Fatal("call returned with an error")
		}
		for _, d := range []Decision{{}, {Allow: true}, {Ask: true, Reason: string(stdin)}} {
			checkReply(t, a, func(out, errb *bytes.Buffer) int { return a.Encode(ev, d, out, errb) })
		}
		checkReply(t, a, func(out, errb *bytes.Buffer) int { return a.DenyWithoutInput(stdin, string(stdin), out, errb) })
	})
}

func checkReply(t *testing.T, a Adapter, write func(out, errb *bytes.Buffer) int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := write(&out, &errb)
	if code != exitOK && code != exitBlock {
		t.Fatalf("%s: exit code %d", a.Name(), code)
	}
	if out.Len() == 0 {
		return
	}
	dec := json.NewDecoder(&out)
	var v map[string]any
	if err := dec.Decode(&v); err != nil || dec.More() {
		t.Fatalf("%s: stdout is not one JSON object: %q", a.Name(), out.String())
	}
	if code == exitBlock && len(bytes.TrimSpace(errb.Bytes())) == 0 {
		t.Fatalf("%s: exit 2 with an empty stderr", a.Name())
	}
}

// TestFuzzSeedsParse keeps the committed seeds meaningful: every seed parses,
// except those named malformed*.
func TestFuzzSeedsParse(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse*"))
	if err != nil || len(dirs) != len(Names()) {
		t.Fatalf("found seed dirs %v (%v), want one per harness", dirs, err)
	}
	for _, dir := range dirs {
		a, err := Lookup(strings.ToLower(strings.TrimPrefix(filepath.Base(dir), "FuzzParse")))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := os.ReadDir(dir)
		if len(files) < 5 {
			t.Errorf("%s: %d seeds, want at least 5", dir, len(files))
		}
		for _, f := range files {
			raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(lines) != 2 || lines[0] != "go test fuzz v1" {
				t.Fatalf("%s/%s: not a fuzz corpus file", dir, f.Name())
			}
			lit, ok := strings.CutPrefix(lines[1], "[]byte(")
			lit, ok2 := strings.CutSuffix(lit, ")")
			stdin, err := strconv.Unquote(lit)
			if !ok || !ok2 || err != nil {
				t.Fatalf("%s/%s: bad literal: %v", dir, f.Name(), err)
			}
			_, _, err = a.Parse([]byte(stdin), envOf(map[string]string{EnvEvent: "preToolUse"}))
			if malformed := strings.HasPrefix(f.Name(), "malformed"); (err != nil) != malformed {
				t.Errorf("%s/%s: Parse error = %v", dir, f.Name(), err)
			}
		}
	}
}
