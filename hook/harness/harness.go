// Package harness speaks the hook protocol of each coding-agent harness Ony
// gates: Claude Code, Codex CLI, Cursor, Gemini CLI and Copilot CLI.
//
// An Adapter reads the bytes a harness writes on the hook's stdin into a
// normalised wire.ToolCall, and writes a Decision back in that harness's own
// encoding with the exit code that harness reads as that decision. The rules
// each adapter follows are in docs/HARNESSES.md and come from each harness's
// own documentation and from running the real CLIs (hook/realharness); the
// short version is that a deny is never written
// in a form a harness could read as "proceed", and "ask" (hand the call back to
// the harness's own permission prompt) is only written where the harness
// honours it; everywhere else it is encoded as a deny.
//
// The package runs on the hot path of every agent tool call: it does no work
// at init, compiles no regular expressions and imports nothing heavy.
package harness

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// Event is a harness's own name for the hook event that invoked the hook.
type Event string

// Events the adapters understand. The same string can belong to several
// harnesses (Cursor and Copilot CLI both say "preToolUse"); an adapter only
// accepts its own.
const (
	EventPreToolUse             Event = "PreToolUse"           // Claude Code, Codex, Copilot (VS Code form)
	EventPermissionRequest      Event = "PermissionRequest"    // Claude Code, Codex, Copilot (VS Code form)
	EventPreToolUseCamel        Event = "preToolUse"           // Cursor, Copilot CLI
	EventPermissionRequestCamel Event = "permissionRequest"    // Copilot CLI
	EventBeforeShellExecution   Event = "beforeShellExecution" // Cursor
	EventBeforeMCPExecution     Event = "beforeMCPExecution"   // Cursor
	EventBeforeReadFile         Event = "beforeReadFile"       // Cursor
	EventBeforeTool             Event = "BeforeTool"           // Gemini CLI
)

// EnvEvent names the environment variable that tells the Copilot adapter which
// event invoked it. Copilot CLI's camelCase payloads carry no event name, so
// `ony-tui install copilot` sets it in each hook entry's "env".
const EnvEvent = "ONY_HOOK_EVENT"

// Harness names, as used on the command line (`ony-tui hook <name>`).
const (
	Claude  = "claude"
	Codex   = "codex"
	Cursor  = "cursor"
	Gemini  = "gemini"
	Copilot = "copilot"
)

// DefaultDenyReason is the reason written when a deny carries none.
const DefaultDenyReason = "Blocked by Ony: this action was not approved."

// maxReasonRunes caps the reason shown to the agent. Claude Code caps strings
// at 10,000 characters (UTF-16 units); 4,000 runes stay under that for any text.
const maxReasonRunes = 4000

// MaxInput is the largest stdin Parse accepts. Cursor's beforeReadFile carries
// the whole file, so this is generous; anything larger is refused (and denied).
const MaxInput = 64 << 20

// Errors Parse wraps, so the hook can log the kind of failure.
var (
	ErrMalformed    = errors.New("malformed hook input")
	ErrUnknownEvent = errors.New("unknown hook event")
	ErrMissingField = errors.New("missing required field")
	ErrTooLarge     = errors.New("hook input too large")
)

// Decision is what the hook answers for one tool call.
type Decision struct {
	// Allow lets the tool call run.
	Allow bool
	// Reason is shown to the agent on a deny (and with an ask where the
	// harness displays one). Empty means DefaultDenyReason.
	Reason string
	// Ask hands the call back to the harness's own permission prompt. It takes
	// precedence over Allow, and is encoded as a deny wherever the harness does
	// not honour it (see Adapter.HonoursAsk).
	Ask bool
}

// Adapter speaks one harness's hook protocol.
type Adapter interface {
	// Name is the harness name (Claude, Codex, ...).
	Name() string
	// Parse reads the harness's stdin into the normalised call. It never
	// panics. Malformed input, an event the adapter does not handle, a
	// missing tool name or input, or an oversized field are errors (the hook
	// then denies). The returned Event is the event when it could be
	// identified, even with an error, so the deny can be encoded for it.
	Parse(stdin []byte, getenv func(string) string) (*wire.ToolCall, Event, error)
	// Encode writes d for event ev in the harness's own encoding (at most one
	// JSON object on stdout, reasons on stderr only where the harness reads
	// them) and returns the exit code to exit with. An event the adapter does
	// not know is always answered with a deny.
	Encode(ev Event, d Decision, stdout, stderr io.Writer) int
	// DenyWithoutInput writes a deny when stdin could not be parsed at all,
	// guessing the event from the raw bytes where that changes the encoding,
	// and returns the exit code.
	DenyWithoutInput(stdin []byte, reason string, stdout, stderr io.Writer) int
	// HonoursAsk reports whether Encode hands an Ask back to the harness's own
	// prompt for ev; when false, Ask is encoded as a deny.
	HonoursAsk(ev Event) bool
}

// Names lists the harnesses that have an adapter.
func Names() []string { return []string{Claude, Codex, Cursor, Gemini, Copilot} }

// Lookup returns the adapter for a harness name. "claude-code" is accepted as
// an alias of "claude".
func Lookup(name string) (Adapter, error) {
	switch name {
	case Claude, "claude-code":
		return claudeAdapter{}, nil
	case Codex:
		return codexAdapter{}, nil
	case Cursor:
		return cursorAdapter{}, nil
	case Gemini:
		return geminiAdapter{}, nil
	case Copilot:
		return copilotAdapter{}, nil
	}
	return nil, fmt.Errorf("unknown harness %q (known: %s)", name, strings.Join(Names(), ", "))
}
