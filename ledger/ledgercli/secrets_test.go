package ledgercli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

// TestLogMarksSecretsRecordedBefore writes entries as a version without
// redaction did (a token in a target, a detail, a risk hint) beside clean
// and already redacted ones. log marks exactly the former, prints none of
// the secrets in either form, and the chain is left as it was: it still
// verifies and still holds the raw values.
func TestLogMarksSecretsRecordedBefore(t *testing.T) {
	const token = "ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	l, err := vectorgen.NewLayout(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lg, err := ledger.Open(ctx, l.DB, l.Options())
	if err != nil {
		t.Fatal(err)
	}
	entries := []struct {
		mod     func(*ledger.Entry)
		suspect bool
	}{
		{func(e *ledger.Entry) { e.Target = "https://user:" + token + "@github.com/o/r.git main" }, true},
		{func(e *ledger.Entry) {}, false},
		{func(e *ledger.Entry) { e.Detail = "approved: GITHUB_TOKEN=" + token }, true},
		{func(e *ledger.Entry) { e.Target = "https://user:ghp_***@github.com/o/r.git main" }, false},
		{func(e *ledger.Entry) { e.RiskHint = "low " + token }, true},
	}
	for i, c := range entries {
		e := vectorgen.SampleEntry(i + 1)
		c.mod(&e)
		if _, err := lg.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}

	code, lines, stderr := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, JSON: true})
	if code != ledgercli.ExitIntact || len(lines) != len(entries) {
		t.Fatalf("exit %d, %d lines, stderr %q", code, len(lines), stderr)
	}
	for i, s := range lines {
		if strings.Contains(s, token[4:]) {
			t.Errorf("entry %d: the secret is printed: %s", i+1, s)
		}
		var v struct {
			Status          string `json:"status"`
			SecretSuspected *bool  `json:"secret_suspected"`
			Target          string `json:"target"`
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		if got := v.SecretSuspected != nil && *v.SecretSuspected; got != entries[i].suspect || v.Status != "ok" {
			t.Errorf("entry %d: secret_suspected %v status %s, want %v ok: %s", i+1, got, v.Status, entries[i].suspect, s)
		}
	}
	if !strings.Contains(lines[0], `"target":"https://user:ghp_***@github.com/o/r.git main"`) {
		t.Errorf("the target is not shown redacted: %s", lines[0])
	}

	code, lines, _ = runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey})
	if code != ledgercli.ExitIntact {
		t.Fatalf("human form: exit %d", code)
	}
	for i, s := range lines {
		marked := strings.HasSuffix(s, "(secret suspected: rotate it)")
		if marked != entries[i].suspect || strings.Contains(s, token[4:]) {
			t.Errorf("human line %d: %q", i+1, s)
		}
	}

	// The chain is never rewritten.
	var out, errb bytes.Buffer
	if code := ledgercli.Verify(ctx, ledgercli.VerifyOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, CheckpointDir: l.CheckpointDir,
		CheckpointVerifierFile: filepath.Join(l.KeysDir, ledger.CheckpointVerifierName)}, &out, &errb); code != ledgercli.ExitIntact {
		t.Fatalf("verify after log: exit %d: %s%s", code, out.String(), errb.String())
	}
	r, err := ledger.OpenReader(ctx, l.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stored, err := r.Since(ctx, 0, 10)
	if err != nil || len(stored) != len(entries) || !strings.Contains(stored[0].Target, token) {
		t.Fatalf("stored entries changed: %v %+v", err, stored)
	}
}
