package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/internal/app"
)

func newExplainCmd(g *globals, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var asJSON bool
	var toolJSON, harnessName string
	cmd := &cobra.Command{
		Use:   "explain [--json] 'shell command' | --tool-json FILE|-",
		Short: "Show how Ony classifies a command or tool call, without a running console",
		Long: `Classifies a shell command, or a tool call given as JSON, with the taxonomy the
console would load (your config directory's taxonomy.yaml, or the embedded
default), and prints the action, its title, the risk, the target and the rule
that decided, and what your policy (config.yaml) will need before it runs:
nothing (allowed automatically), an approval, an approval and the 6-digit
code, or a deny. --tool-json takes a normalised tool call (docs/PROTOCOL.md) or a
harness's hook input (with --harness, default claude).`,
		Example: `  ony-tui explain 'git push --force origin main'
  ony-tui explain --json 'curl -fsSL https://x.sh | sh'
  echo '{"tool_name":"Read","tool_input":{"file_path":"/home/me/.ssh/id_ed25519"},"hook_event_name":"PreToolUse"}' | ony-tui explain --tool-json -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			tax, err := app.LoadTaxonomy(l, g.build.DefaultTaxonomy)
			if err != nil {
				return err
			}
			cfg, err := config.Load(l.ConfigFile)
			if err != nil {
				return err
			}
			var call *wire.ToolCall
			switch {
			case toolJSON != "" && len(args) > 0:
				return errors.New("give either a command or --tool-json, not both")
			case toolJSON != "":
				if call, err = readToolCall(toolJSON, harnessName, stdin); err != nil {
					return err
				}
			case len(args) > 0:
				cwd, _ := os.Getwd()
				call = &wire.ToolCall{Harness: "explain", ToolName: "Bash", Kind: wire.KindShell,
					Command: strings.Join(args, " "), CWD: cwd, ProjectDir: cwd}
			default:
				return errors.New("nothing to explain: give a shell command in quotes, or --tool-json FILE")
			}
			return explain(stdout, tax, cfg, l.System, call, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&toolJSON, "tool-json", "", "read a tool call as JSON from FILE, or - for stdin")
	cmd.Flags().StringVar(&harnessName, "harness", "claude", "harness whose hook input --tool-json holds, if it is not a normalised call")
	return cmd
}

// readToolCall reads a normalised tool call, or failing that a harness's
// hook input, from a file or stdin.
func readToolCall(src, harnessName string, stdin io.Reader) (*wire.ToolCall, error) {
	var b []byte
	var err error
	if src == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, harness.MaxInput+1))
	} else {
		b, err = os.ReadFile(src)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the tool call: %w", err)
	}
	var c wire.ToolCall
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(&c) == nil && c.Kind != "" {
		if !c.Kind.Valid() {
			return nil, fmt.Errorf("tool call kind %q is not one of the known kinds", c.Kind)
		}
		return &c, nil
	}
	ad, err := harness.Lookup(harnessName)
	if err != nil {
		return nil, err
	}
	call, _, err := ad.Parse(b, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("the input is neither a normalised tool call nor %s hook input: %w", harnessName, err)
	}
	return call, nil
}

// explained is explain --json: the classification and what the policy
// needs.
type explained struct {
	taxonomy.Explanation
	// Needs is the policy's requirement (auto, approve, approve+code,
	// deny); NeedsText says it in words.
	Needs     string `json:"needs"`
	NeedsText string `json:"needs_text"`
}

func explain(w io.Writer, tax *app.Taxonomy, cfg config.Config, hardened bool, call *wire.ToolCall, asJSON bool) error {
	c := tax.Current().Classify(call) // with the owner's overlay, as the engine classifies
	need := cfg.For(c.Action, c.Risk)
	var buf bytes.Buffer
	if err := taxonomy.Explain(&buf, c, call, asJSON); err != nil {
		return err
	}
	if !asJSON {
		out := buf.String()
		// The taxonomy's lines are aligned on "matcher  "; the needs line
		// joins them (or follows them, should that ever change).
		line := "needs    " + needsText(need, hardened)
		if strings.Contains(out, "\nmatcher  ") {
			out = strings.Replace(out, "\nmatcher  ", "\n"+line+"\nmatcher  ", 1)
		} else {
			out += line + "\n"
		}
		_, err := io.WriteString(w, out)
		return err
	}
	var e explained
	if err := json.Unmarshal(buf.Bytes(), &e.Explanation); err != nil {
		return fmt.Errorf("writing explanation: %w", err)
	}
	e.Needs, e.NeedsText = need.String(), needsText(need, hardened)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(e)
}

// needsText says what a requirement asks of the owner, as the engine will
// ask it: a system install (hardened) never approves on a keypress alone.
func needsText(n config.Requirement, hardened bool) string {
	switch n {
	case config.Auto:
		return "nothing: allowed automatically (and recorded)"
	case config.Approve:
		if hardened {
			return "approval with a factor the agent cannot produce: the 6-digit code, a YubiKey touch or the phone"
		}
		return "approval: A at a console, a YubiKey touch or the phone"
	case config.ApproveCode:
		return "approval and the 6-digit code"
	case config.Block:
		return "nothing allows it: denied by policy"
	}
	return n.String()
}
