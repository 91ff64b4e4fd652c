// Package hook is what each agent harness runs before every tool call:
// `ony-tui hook <harness>`. It reads the harness's input, asks the console's
// engine over the Unix socket, verifies the signed verdict, and answers
// allow or deny in the harness's own encoding.
//
// It fails closed in every case: no console, a bad or unverifiable verdict,
// a passed deadline, malformed input, a panic. It never exits with a code the
// harness reads as "proceed" for anything but a verified approval. It
// imports nothing of the console (package tui) and probes no terminal.
package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/hook/harness"
)

// Options configure one hook run.
type Options struct {
	Harness string
	// Home is the --home flag; empty means ONY_HOME or the XDG defaults.
	Home string
	// Getenv reads the environment (os.Getenv if nil).
	Getenv func(string) string
	// Deadline overrides the configured hook deadline when positive.
	Deadline time.Duration
	// ArgError, when set, is a problem with the hook's own command line; the
	// hook denies with it instead of asking the console.
	ArgError string
}

// Reasons the hook gives the agent when it denies on its own.
const (
	ReasonUnreachable = "Ony console not running: start `ony-tui` (or ask the user to), then retry"
	ReasonTimeout     = "approval timed out: ask the user"
	ReasonUnreadable  = "Ony could not read this tool call, so it is denied"
	ReasonBadConfig   = "Ony's configuration is invalid, so every action is denied: ask the user to run `ony-tui doctor`"
	ReasonBadVerdict  = "Ony could not verify the console's answer, so the action is denied"
	ReasonInternal    = "Ony's hook failed internally, so the action is denied"
	ReasonConsoleLost = "the Ony console stopped before answering, so the action is denied"
)

// exitUnknownHarness is the exit code for an unknown harness name: 2 is read
// as "block" by every harness that documents exit codes.
const exitUnknownHarness = 2

// Run runs the hook and returns the process exit code. It never panics.
func Run(ctx context.Context, opts Options, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	ad, err := harness.Lookup(opts.Harness)
	if err != nil {
		fmt.Fprintf(stderr, "ony-tui hook: %v; denying. Reinstall with `ony-tui install <harness>`\n", err)
		return exitUnknownHarness
	}
	start := time.Now()
	var raw []byte
	var ev harness.Event
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ony-tui hook: internal error: %v\n", r)
			if ev != "" { // the event is known: deny in its own shape
				code = ad.Encode(ev, harness.Decision{Reason: ReasonInternal}, stdout, stderr)
				return
			}
			code = ad.DenyWithoutInput(raw, ReasonInternal, stdout, stderr)
		}
	}()
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	// The harness writes stdin and closes it; one that never closes it must
	// not hold the hook past its deadline (the harness's own timeout, later,
	// would let the call through).
	stdinWait := opts.Deadline
	if stdinWait <= 0 {
		stdinWait = config.Defaults().HookDeadline
	}
	raw, err = readAll(stdin, harness.MaxInput+1, stdinWait)
	if errors.Is(err, errPanic) {
		fmt.Fprintf(stderr, "ony-tui hook: %v\n", err)
		return ad.DenyWithoutInput(nil, ReasonInternal, stdout, stderr)
	}
	if err != nil {
		return ad.DenyWithoutInput(nil, ReasonUnreadable+": "+err.Error(), stdout, stderr)
	}
	if len(raw) > harness.MaxInput {
		return ad.DenyWithoutInput(raw[:4096], fmt.Sprintf("%s: input over %d bytes", ReasonUnreadable, harness.MaxInput), stdout, stderr)
	}
	var call *wire.ToolCall
	ad, call, ev, err = parse(ad, raw, getenv, stderr)
	if err != nil {
		if ev == "" {
			return ad.DenyWithoutInput(raw, ReasonUnreadable+": "+err.Error(), stdout, stderr)
		}
		return ad.Encode(ev, harness.Decision{Reason: ReasonUnreadable + ": " + err.Error()}, stdout, stderr)
	}
	deny := func(reason string) int { return ad.Encode(ev, harness.Decision{Reason: reason}, stdout, stderr) }
	if opts.ArgError != "" {
		fmt.Fprintf(stderr, "ony-tui hook: %s\n", opts.ArgError)
		return deny(ReasonBadConfig + ": " + opts.ArgError)
	}

	layout, err := paths.Resolve(opts.Home, getenv)
	if err != nil {
		return deny(ReasonBadConfig + ": " + err.Error())
	}
	cfg, err := config.Load(layout.ConfigFile)
	if err != nil {
		return deny(ReasonBadConfig + ": " + err.Error())
	}
	wait := cfg.HookDeadline
	if opts.Deadline > 0 {
		wait = opts.Deadline
	}
	deadline := start.Add(wait)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	reg := device.Open(layout.DevicesFile, layout.KeysDir, nil)
	// Read the device keys while the engine decides, not after.
	go func() {
		defer func() { _ = recover() }() // the verification reads them again
		reg.Warm()
	}()
	ans, err := Exchange(ctx, layout.Socket, call, reg.Keyring(), deadline)
	switch {
	case err == nil:
	case errors.Is(err, ErrUnreachable):
		if cfg.Fallback == config.FallbackAsk && ad.HonoursAsk(ev) {
			return ad.Encode(ev, harness.Decision{Ask: true, Reason: "Ony console not running: asking you instead"}, stdout, stderr)
		}
		return deny(ReasonUnreachable)
	case errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded):
		return deny(ReasonTimeout)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return deny(ReasonConsoleLost)
	case isVerdictError(err):
		fmt.Fprintf(stderr, "ony-tui hook: %v\n", err)
		return deny(ReasonBadVerdict)
	default:
		fmt.Fprintf(stderr, "ony-tui hook: %v\n", err)
		return deny(fmt.Sprintf("Ony denied the action: %v", err))
	}
	v := ans.Verdict
	if v.Decision == verdict.Approve {
		return ad.Encode(ev, harness.Decision{Allow: true, Reason: v.Reason}, stdout, stderr)
	}
	reason := v.Reason
	if reason == "" {
		reason = harness.DefaultDenyReason
	}
	return deny(reason)
}

// parse reads raw with the adapter of the harness that wrote it. One harness
// can run another's hooks (Copilot CLI reads a repository's
// .claude/settings.json; Cursor can load Claude Code hooks), and each must be
// answered in its own encoding. When the payload's fingerprint names another
// harness whose adapter reads it, that adapter answers and the mismatch is
// logged; otherwise the installed adapter reads it (and its error denies).
func parse(installed harness.Adapter, raw []byte, getenv func(string) string, stderr io.Writer) (harness.Adapter, *wire.ToolCall, harness.Event, error) {
	if name := harness.Detect(raw); name != "" && name != installed.Name() {
		// windsurf and cline have no adapter: Lookup fails for them.
		if other, err := harness.Lookup(name); err == nil {
			if call, ev, err := other.Parse(raw, getenv); err == nil {
				fmt.Fprintf(stderr, "ony-tui hook: installed for %s, but this call comes from %s: answering in %s's format\n", installed.Name(), name, name)
				return other, call, ev, nil
			}
		}
	}
	call, ev, err := installed.Parse(raw, getenv)
	return installed, call, ev, err
}

func isVerdictError(err error) bool {
	for _, e := range []error{verdict.ErrMalformed, verdict.ErrUnknownDevice, verdict.ErrRevoked,
		verdict.ErrKeyMismatch, verdict.ErrAlgMismatch, verdict.ErrBadSignature, verdict.ErrWrongRequest,
		verdict.ErrWrongNonce, verdict.ErrWrongDigest, verdict.ErrExpired, verdict.ErrNotYetValid,
		verdict.ErrInvalidLifetime} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// errPanic marks a panic recovered outside Run's own goroutine.
var errPanic = errors.New("internal error")

// readAll reads r to its end, at most limit bytes, within wait.
func readAll(r io.Reader, limit int64, wait time.Duration) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("%w: %v", errPanic, p)}
			}
		}()
		b, err := io.ReadAll(io.LimitReader(r, limit))
		ch <- result{b, err}
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case res := <-ch:
		if res.err != nil {
			return nil, fmt.Errorf("reading stdin failed: %w", res.err)
		}
		return res.b, nil
	case <-t.C:
		return nil, fmt.Errorf("stdin was not closed within %s", wait)
	}
}
