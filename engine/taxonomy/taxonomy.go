// Package taxonomy is Ony's server-side risk authority. It loads the action
// taxonomy (taxonomy.yaml) strictly and classifies every tool call an agent
// asks to make: which action it is, what it targets, and how risky it is.
//
// Classification fails closed. Anything no rule recognises is the built-in
// action "unknown", which is always critical: an unknown program, a tool
// kind of "other", an MCP tool no rule lists, a shell command that cannot be
// parsed, is too large or too deeply nested, names its program at run time,
// or runs code Ony cannot see. The risk of a call is the highest risk of
// every rule that matches it, so adding a rule can never lower a risk. The
// agent's own risk hint is never read.
package taxonomy

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// UnknownAction is the id of the built-in fallback action. It is always
// critical and no taxonomy file may define it.
const UnknownAction = "unknown"

// Env holds the values the taxonomy file's variables expand to, so that
// self-protection rules can name Ony's own files wherever they live.
type Env struct {
	Home           string   // ${HOME}: the user's home directory
	OnyRoots       []string // ${ONY}: Ony's own directories (paths.Layout.Roots)
	OnyBinary      string   // ${ONY_BINARY}: the ony-tui executable
	ExtraProtected []string // ${PROTECTED}: more paths to protect; may be empty
	// Vars are environment variables the agent's shell is assumed to share
	// (for example XDG_CONFIG_HOME), used to resolve $NAME in commands.
	// Any other variable is unknown. HOME is always Home. Calls from
	// another host use none of them.
	Vars map[string]string
	// Processes is the process table of the engine's host, read to tell
	// whether a kill or a trace reaches Ony's own processes; nil means
	// none (every process named by number is unresolved).
	Processes Processes
}

// Action describes one action of the taxonomy.
type Action struct {
	ID          string
	Title       string
	Description string
	Risk        Risk
}

// Classification is the engine's verdict on what a tool call would do.
type Classification struct {
	Action string
	Title  string
	Risk   Risk
	// Target is what the action touches, for display: a remote and branch,
	// a path, a host, a database or an environment.
	Target string
	// Matcher names the rule that decided, as "file:line action kind[n]",
	// or "builtin unknown: reason".
	Matcher string
	// Parts lists the result for each simple command of a shell command, in
	// order; the classification is the riskiest of them.
	Parts []Part
	// Program is set when the unknown action decided because no rule
	// recognises this program: the owner may classify it in the overlay.
	Program string
	// Mixed is set when another part of the call, above low risk, does
	// something else than the action and target that decided: a
	// remembered "this action on this target" must not cover it, since on
	// equal risk the first part decides (git push origin main && ssh prod
	// …).
	Mixed bool
	// Writes lists the absolute paths the call writes or edits, as far as
	// Ony can tell (a file tool's path, a redirection, cp's destination);
	// Runs the files it directly executes (./x.sh, python3 x.py). Both are
	// capped at maxTracked and leave out paths computed at run time.
	Writes, Runs []string
}

// Part is the classification of one simple command of a shell command.
type Part struct {
	Action  string
	Title   string
	Risk    Risk
	Target  string
	Matcher string
	Text    string // the command's source text
	Program string // as Classification.Program
}

// Taxonomy is a loaded taxonomy. It is immutable and safe for concurrent
// use.
type Taxonomy struct {
	name    string
	sum     string
	env     Env
	actions []*action
	unknown *action

	spec     shell.Spec
	parsers  *shell.Parsers             // reusable parsers; results never depend on it
	programs map[string]map[string]bool // options that take a value, per program
	progInfo map[string]*progInfo       // what else the programs section says
	longs    map[string][]string        // long options named anywhere, per program, sorted

	byProgram   map[string][]*rule
	scriptRules []*rule
	bareRules   []*rule
	funcRules   []*rule
	globalShell []*rule
	byKind      map[wire.Kind][]*rule
	mcpRules    []*rule
	pathRules   []*rule
	urlRules    []*rule
}

// action is an Action with its place in the file.
type action struct {
	Action
}

// Load parses and checks a taxonomy file. name is used in error messages,
// which have the form "name:line:column: message". Any unknown key, bad
// pattern, duplicate or missing field is an error: a taxonomy is either
// loaded exactly as written or not at all.
func Load(data []byte, name string, env Env) (*Taxonomy, error) {
	b := &builder{
		d:    decoder{name: name},
		vars: builtinVars(env),
		sets: map[string][]string{},
		ids:  map[string]int{},
		code: map[string][]shell.CodeArg{},
	}
	b.t = &Taxonomy{
		name:      name,
		env:       cleanEnv(env),
		parsers:   &shell.Parsers{},
		programs:  map[string]map[string]bool{},
		progInfo:  map[string]*progInfo{},
		byProgram: map[string][]*rule{},
		byKind:    map[wire.Kind][]*rule{},
		unknown: &action{Action{
			ID:          UnknownAction,
			Title:       "Unrecognised action",
			Description: "Nothing in the taxonomy recognises this call, so Ony treats it as critical.",
			Risk:        Critical,
		}},
	}
	body, err := b.d.parse(data)
	if err != nil {
		return nil, err
	}
	if err := b.top(body); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	b.t.sum = hex.EncodeToString(sum[:])
	return b.t, nil
}

// cleanEnv cleans the paths of env.
func cleanEnv(env Env) Env {
	clean := func(p string) string {
		if p == "" {
			return ""
		}
		return filepath.Clean(p)
	}
	out := Env{Home: clean(env.Home), OnyBinary: clean(env.OnyBinary), Vars: env.Vars, Processes: env.Processes}
	for _, r := range env.OnyRoots {
		out.OnyRoots = append(out.OnyRoots, clean(r))
	}
	for _, r := range env.ExtraProtected {
		out.ExtraProtected = append(out.ExtraProtected, clean(r))
	}
	return out
}

// Name returns the name the taxonomy was loaded under.
func (t *Taxonomy) Name() string { return t.name }

// SHA256 returns the lowercase hex SHA-256 of the raw taxonomy file.
func (t *Taxonomy) SHA256() string { return t.sum }

// Actions lists the actions in file order, followed by the built-in
// unknown action.
func (t *Taxonomy) Actions() []Action {
	out := make([]Action, 0, len(t.actions)+1)
	for _, a := range t.actions {
		out = append(out, a.Action)
	}
	return append(out, t.unknown.Action)
}

// sanitize makes text safe to show on one terminal line: control
// characters become spaces, runs of spaces collapse, and it is cut to max
// bytes on a rune boundary.
func sanitize(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+len(string(r)) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
