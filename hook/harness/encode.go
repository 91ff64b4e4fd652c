package harness

import (
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// Exit codes the adapters return.
const (
	exitOK    = 0 // the harness reads stdout (or, with none, takes no decision)
	exitBlock = 2 // the near-universal "block" code
)

// verdict is a Decision reduced to the three answers a harness can receive.
type verdict int

const (
	verdictDeny verdict = iota
	verdictAllow
	verdictAsk
)

func (d Decision) verdict() verdict {
	switch {
	case d.Ask:
		return verdictAsk
	case d.Allow:
		return verdictAllow
	}
	return verdictDeny
}

// reasonText is the reason to show the agent: d.Reason made valid UTF-8,
// capped, or DefaultDenyReason when blank.
func reasonText(reason string) string {
	r := strings.TrimSpace(strings.ToValidUTF8(reason, "\uFFFD"))
	if r == "" {
		return DefaultDenyReason
	}
	if utf8.RuneCountInString(r) > maxReasonRunes {
		runes := []rune(r)
		r = string(runes[:maxReasonRunes-1]) + "…"
	}
	return r
}

// unknownEventReason is the reason given when Encode is called for an event
// the adapter does not handle, whatever the decision was.
const unknownEventReason = "Blocked by Ony: the hook was called for an event it does not handle."

// forUnknownEvent turns any decision into the deny written for an unknown
// event, keeping the reason of a deny.
func forUnknownEvent(d Decision) Decision {
	if d.verdict() != verdictDeny {
		return Decision{Reason: unknownEventReason}
	}
	return d
}

// writeJSON writes v as one line of JSON. Write errors are ignored: the exit
// code still carries the decision wherever the harness reads it.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeReason writes the reason on stderr, where harnesses that block on exit
// code 2 read it.
func writeReason(w io.Writer, reason string) {
	_, _ = io.WriteString(w, reason+"\n")
}

// Claude Code and Codex output shapes (Codex accepts exactly these fields).

type preToolUseOutput struct {
	HookSpecificOutput preToolUseSpecific `json:"hookSpecificOutput"`
}

type preToolUseSpecific struct {
	HookEventName            string `json:"hookEventName"`
	PermissionDecision       string `json:"permissionDecision"`
	PermissionDecisionReason string `json:"permissionDecisionReason,omitempty"`
}

type permissionRequestOutput struct {
	HookSpecificOutput permissionRequestSpecific `json:"hookSpecificOutput"`
}

type permissionRequestSpecific struct {
	HookEventName string     `json:"hookEventName"`
	Decision      permission `json:"decision"`
}

// permission is a PermissionRequest decision (and Copilot's flat form).
type permission struct {
	Behavior string `json:"behavior"`
	Message  string `json:"message,omitempty"`
}

func preToolUse(decision, reason string) preToolUseOutput {
	return preToolUseOutput{preToolUseSpecific{string(EventPreToolUse), decision, reason}}
}

func permissionRequest(behavior, message string) permissionRequestOutput {
	return permissionRequestOutput{permissionRequestSpecific{string(EventPermissionRequest), permission{behavior, message}}}
}
