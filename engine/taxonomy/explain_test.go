package taxonomy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/wire"
)

func TestExplainHuman(t *testing.T) {
	tx := matcherTaxonomy(t)
	call := shellCall("ls && git push -f origin main")
	var buf bytes.Buffer
	if err := Explain(&buf, tx.Classify(call), call, false); err != nil {
		t.Fatal(err)
	}
	want := `action   t.push.force
title    Force push
risk     critical
target   origin main
matcher  matchers.yaml:32 t.push.force shell[0]
kind     shell
parts (2, riskiest decides):
  low       t.everyday    ls
  critical  t.push.force  git push -f origin main
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestExplainJSON(t *testing.T) {
	tx := matcherTaxonomy(t)
	call := shellCall("ls && git push -f origin main")
	var buf bytes.Buffer
	if err := Explain(&buf, tx.Classify(call), call, true); err != nil {
		t.Fatal(err)
	}
	want := `{"action":"t.push.force","title":"Force push","risk":"critical","target":"origin main",` +
		`"matcher":"matchers.yaml:32 t.push.force shell[0]","kind":"shell","tool_name":"Bash","parts":[` +
		`{"action":"t.everyday","risk":"low","target":"ls","matcher":"matchers.yaml:134 t.everyday shell[0]","text":"ls"},` +
		`{"action":"t.push.force","risk":"critical","target":"origin main","matcher":"matchers.yaml:32 t.push.force shell[0]","text":"git push -f origin main"}]}` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	var e Explanation
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil || e.Risk != Critical {
		t.Errorf("round trip: %+v, %v", e, err)
	}

	// A tool call: no parts, no command.
	read := &wire.ToolCall{Kind: wire.KindFileRead, ToolName: "Read", Paths: []string{"main.go"}, CWD: testProject, ProjectDir: testProject}
	buf.Reset()
	if err := Explain(&buf, tx.Classify(read), read, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"parts"`) || !strings.Contains(buf.String(), `"risk":"low"`) {
		t.Errorf("tool call explanation: %s", buf.String())
	}
}

func TestExplainRejectsInvalid(t *testing.T) {
	var buf bytes.Buffer
	if err := Explain(&buf, Classification{}, nil, false); err == nil {
		t.Error("Explain accepted a classification without a risk")
	}
}
