package taxonomy

import (
	"bytes"
	"strings"
	"testing"
)

// TestExplainRedactsSecrets: both forms of Explain mask the secrets in the
// target, the matcher and every part, while Classify itself returns what
// the rules produced.
func TestExplainRedactsSecrets(t *testing.T) {
	tx := defaultTaxonomy(t)
	const secret = "R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	call := shellCall("PGPASSWORD=hunter2pw psql -c 'select 1' && git push https://dev:ghp_" + secret + "@github.com/acme/api.git main --force")
	c := tx.Classify(call)
	if !strings.Contains(c.Target, secret) {
		t.Fatalf("Classify changed the target: %q", c.Target)
	}
	for _, asJSON := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Explain(&buf, c, call, asJSON); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, secret) || strings.Contains(out, "hunter2pw") {
			t.Errorf("json %v: secret explained:\n%s", asJSON, out)
		}
		if !strings.Contains(out, "https://dev:ghp_***@github.com/acme/api.git main") {
			t.Errorf("json %v: no redacted target:\n%s", asJSON, out)
		}
	}
	if !strings.Contains(c.Parts[len(c.Parts)-1].Text, secret) {
		t.Errorf("Redacted changed the classification it was given")
	}
}
