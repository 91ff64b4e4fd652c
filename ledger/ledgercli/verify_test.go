package ledgercli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

func verifyOpts(l vectorgen.Layout) ledgercli.VerifyOptions {
	return ledgercli.VerifyOptions{
		DB:                     l.DB,
		AuditKeyFile:           l.VerifyKey,
		CheckpointDir:          l.CheckpointDir,
		CheckpointVerifierFile: filepath.Join(l.KeysDir, ledger.CheckpointVerifierName),
	}
}

func runVerify(t *testing.T, opts ledgercli.VerifyOptions) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = ledgercli.Verify(context.Background(), opts, &out, &errb)
	return code, out.String(), errb.String()
}

// verifyDoc is the part of the verify JSON the tests read.
type verifyDoc struct {
	Schema   string `json:"schema"`
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
	Entries  uint64 `json:"entries"`
	Verified uint64 `json:"verified"`
	Head     struct {
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
	Problem *struct {
		Seq    uint64 `json:"seq"`
		Reason string `json:"reason"`
	} `json:"problem"`
	Checkpoint struct {
		Latest *struct {
			Size uint64 `json:"size"`
		} `json:"latest"`
	} `json:"checkpoint"`
}

func TestVerifyVectors(t *testing.T) {
	ctx := context.Background()
	for _, c := range vectorgen.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			l, err := vectorgen.Build(ctx, t.TempDir(), c)
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runVerify(t, verifyOpts(l))
			if code != c.WantExit {
				t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", c.Desc, code, c.WantExit, stdout, stderr)
			}
			if c.WantReason == "" {
				if stderr != "" || !regexp.MustCompile(`^verified \d+ entr(y|ies), head [0-9a-f]{8}…, checkpoint \d+ ok\n$`).MatchString(stdout) {
					t.Fatalf("intact: stdout %q stderr %q", stdout, stderr)
				}
			} else {
				if stdout != "" {
					t.Errorf("stdout %q, want nothing on failure", stdout)
				}
				first := strings.SplitN(stderr, "\n", 2)[0]
				name := regexp.MustCompile(fmt.Sprintf(`(entry %d:|checkpoint of %d entries|the ledger: wrong audit key)`, c.WantSeq, c.WantSeq))
				if !strings.HasPrefix(first, "ony-tui: error: ") || !name.MatchString(first) {
					t.Errorf("first stderr line %q does not name entry %d", first, c.WantSeq)
				}
				if !strings.Contains(stderr, "ony-tui: hint: ") {
					t.Errorf("stderr has no hint: %q", stderr)
				}
			}

			// The same through --json.
			opts := verifyOpts(l)
			opts.JSON = true
			code, stdout, stderr = runVerify(t, opts)
			var doc verifyDoc
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("--json output %q: %v", stdout, err)
			}
			if code != c.WantExit || doc.ExitCode != c.WantExit || stderr != "" || doc.Schema != ledgercli.VerifySchema {
				t.Fatalf("--json: exit %d, exit_code %d, schema %q, stderr %q", code, doc.ExitCode, doc.Schema, stderr)
			}
			switch {
			case c.WantReason == "" && (doc.Problem != nil || doc.Status != "intact"):
				t.Fatalf("--json: %+v, want intact", doc)
			case c.WantReason != "" && (doc.Problem == nil || doc.Problem.Seq != c.WantSeq || doc.Problem.Reason != c.WantReason):
				t.Fatalf("--json problem %+v, want %s at %d", doc.Problem, c.WantReason, c.WantSeq)
			}
		})
	}
}

func TestVerifySummaryLine(t *testing.T) {
	l, err := vectorgen.NewLayout(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := vectorgen.AppendSample(context.Background(), l, 1, 1204); err != nil {
		t.Fatal(err)
	}
	r, err := ledger.OpenReader(context.Background(), l.DB)
	if err != nil {
		t.Fatal(err)
	}
	_, head, _ := r.Head(context.Background())
	r.Close()
	code, stdout, stderr := runVerify(t, verifyOpts(l))
	want := fmt.Sprintf("verified 1,204 entries, head %s, checkpoint 1,204 ok\n", head.Short())
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("exit %d stdout %q stderr %q, want %q", code, stdout, stderr, want)
	}
	opts := verifyOpts(l)
	opts.From = 1200
	if code, stdout, _ := runVerify(t, opts); code != 0 || !strings.HasPrefix(stdout, "verified 5 entries from entry 1,200, head ") {
		t.Fatalf("--from 1200: exit %d stdout %q", code, stdout)
	}
	// Without checkpoints the newest entries could have been deleted:
	// could not check, saying where it looked and what to do.
	opts = verifyOpts(l)
	opts.CheckpointDir = filepath.Join(t.TempDir(), "none")
	code, stdout, stderr = runVerify(t, opts)
	if code != ledgercli.ExitCannot || stdout != "" || !strings.Contains(stderr, "no signed checkpoint") ||
		!strings.Contains(stderr, "looked for signed checkpoints in "+opts.CheckpointDir) || !strings.Contains(stderr, "--checkpoint FILE") {
		t.Fatalf("no checkpoints: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

// TestVerifyCopiedLedger audits a copy on "another machine": the ledger
// file, the audit key, one checkpoint file and the verifier key, each
// passed explicitly.
func TestVerifyCopiedLedger(t *testing.T) {
	src, err := vectorgen.Build(context.Background(), t.TempDir(), vectorgen.Cases()[0])
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	copyTo := func(from, name string) string {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	opts := ledgercli.VerifyOptions{
		DB:                     copyTo(src.DB, "copy.db"),
		AuditKeyFile:           copyTo(src.VerifyKey, "audit.key"),
		CheckpointFile:         copyTo(filepath.Join(src.CheckpointDir, "checkpoint"), "checkpoint"),
		CheckpointVerifierFile: copyTo(filepath.Join(src.KeysDir, ledger.CheckpointVerifierName), "checkpoint.pub"),
	}
	if code, stdout, stderr := runVerify(t, opts); code != 0 || !strings.HasSuffix(stdout, "checkpoint 20 ok\n") {
		t.Fatalf("copied ledger: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestVerifyCannotCheck(t *testing.T) {
	l, err := vectorgen.Build(context.Background(), t.TempDir(), vectorgen.Cases()[0])
	if err != nil {
		t.Fatal(err)
	}
	other, err := vectorgen.Build(context.Background(), t.TempDir(), vectorgen.Cases()[1])
	if err != nil {
		t.Fatal(err)
	}
	notLedger := filepath.Join(t.TempDir(), "x.db")
	os.WriteFile(notLedger, []byte("not a database at all, just text that is long enough to be a header....................................."), 0o600)
	for name, tc := range map[string]struct {
		mut  func(*ledgercli.VerifyOptions)
		want string
	}{
		"missing db":         {func(o *ledgercli.VerifyOptions) { o.DB += ".missing" }, "--db"},
		"not a ledger":       {func(o *ledgercli.VerifyOptions) { o.DB = notLedger }, "ony-tui: error: "},
		"missing key":        {func(o *ledgercli.VerifyOptions) { o.AuditKeyFile += ".missing" }, "--key"},
		"malformed key":      {func(o *ledgercli.VerifyOptions) { o.AuditKeyFile = o.CheckpointVerifierFile }, "--key"},
		"missing checkpoint": {func(o *ledgercli.VerifyOptions) { o.CheckpointFile = o.DB + ".ckpt" }, "--checkpoint"},
		"missing verifier":   {func(o *ledgercli.VerifyOptions) { o.CheckpointVerifierFile += ".missing" }, "--checkpoint-key"},
		"other verifier": {func(o *ledgercli.VerifyOptions) {
			o.CheckpointVerifierFile = filepath.Join(other.KeysDir, ledger.CheckpointVerifierName)
		}, "--checkpoint-key"},
	} {
		t.Run(name, func(t *testing.T) {
			opts := verifyOpts(l)
			tc.mut(&opts)
			code, stdout, stderr := runVerify(t, opts)
			if code != ledgercli.ExitCannot || stdout != "" || !strings.HasPrefix(stderr, "ony-tui: error: ") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d stdout %q stderr %q, want exit 2 and %q", code, stdout, stderr, tc.want)
			}
			if strings.Contains(stderr, strings.TrimSpace(readFile(t, l.VerifyKey))) {
				t.Fatal("an error message contains the audit key")
			}
			opts.JSON = true
			code, stdout, _ = runVerify(t, opts)
			var doc verifyDoc
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 2 || doc.ExitCode != 2 || doc.Status == "intact" {
				t.Fatalf("--json: exit %d doc %+v err %v", code, doc, err)
			}
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
