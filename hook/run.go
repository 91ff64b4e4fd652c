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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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
	// System is the --system flag: ask the engine of the system install,
	// which runs as its own user, and trust only it (see exchangeSystem).
	System bool
	// Root is the --root flag: the install root of the system install. It
	// comes from the hook's command line, which root wrote into a managed
	// file, never from the environment, which the agent may set.
	Root string
	// Getenv reads the environment (os.Getenv if nil).
	Getenv func(string) string
	// Deadline overrides the configured hook deadline when positive.
	Deadline time.Duration
	// ArgError, when set, is a problem with the hook's own command line; the
	// hook denies with it instead of asking the console.
	ArgError string
	// Interrupts, when set, delivers the signals that stop the hook early
	// (Process wires SIGHUP, SIGINT, SIGTERM and SIGQUIT to it): the hook
	// then denies at once in the harness's own format.
	Interrupts <-chan os.Signal
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
	ReasonRefused     = "Ony could not get a trustworthy answer for this action, so it is denied: the user can see why with `ony-tui doctor`"
	ReasonInterrupted = "Ony's hook was stopped before it had an answer, so the action is denied"
)

// exitUnknownHarness is the exit code for an unknown harness name: 2 is read
// as "block" by every harness that documents exit codes.
const exitUnknownHarness = 2

// exitPanic is the exit code when even encoding a deny failed: 2 blocks in
// every harness that documents exit codes (Gemini CLI reads 1 as "proceed
// with a warning", Codex and Claude Code read it as a failed hook).
const exitPanic = 2

// Run runs the hook and returns the process exit code. It never panics.
//
// It has three steps: read the harness's input and parse it into a tool
// call (read), ask the engine and verify its signed verdict (exchange), and
// answer the harness in its own encoding (answer). Whatever goes wrong in
// any step ends in a deny that the harness honours; the reason goes to the
// harness (and so to the model), diagnostics go to the hook log.
//
// The steps run in their own goroutine, which encodes its answer into a
// buffer; Run writes exactly one answer: that one, or a deny when a signal
// arrives on opts.Interrupts first (a hook killed by a signal has no exit
// code, and harnesses run the call after such a hook).
func Run(ctx context.Context, opts Options, stdin io.Reader, stdout, stderr io.Writer) int {
	ad, err := harness.Lookup(opts.Harness)
	if err != nil {
		fmt.Fprintf(stderr, "ony-tui hook: %v; denying. Reinstall with `ony-tui install <harness>`\n", err)
		return exitUnknownHarness
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var out, errb bytes.Buffer
	r := &hookRun{opts: opts, getenv: getenv, start: time.Now(), ad: ad, stdout: &out, stderr: &errb,
		log: newDiag(opts, getenv, stderr)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- r.run(ctx, stdin) }()
	select {
	case code := <-done:
		_, _ = stdout.Write(out.Bytes())
		_, _ = stderr.Write(errb.Bytes())
		return code
	case sig := <-opts.Interrupts: // a nil channel never delivers
		cancel()
		code := r.interrupted(fmt.Sprintf("%s (%v)", ReasonInterrupted, sig), stdout, stderr)
		r.log.printf("stopped by %v before an answer: denied", sig)
		return code
	}
}

// run is the three steps; it answers into r.stdout and r.stderr.
func (r *hookRun) run(ctx context.Context, stdin io.Reader) (code int) {
	opts := r.opts
	defer func() {
		if p := recover(); p != nil {
			r.log.printf("internal error: %v", p)
			code = r.deny(ReasonInternal)
		}
	}()
	call, reason := r.read(stdin)
	if call == nil {
		return r.deny(reason)
	}
	if opts.ArgError != "" {
		r.log.printf("%s", opts.ArgError)
		return r.deny(ReasonBadConfig + ": " + opts.ArgError)
	}
	ans, err := r.exchange(ctx, call)
	return r.answer(ans, err)
}

// hookRun is the state of one hook run.
type hookRun struct {
	opts   Options
	getenv func(string) string
	start  time.Time
	// mu guards ad, ev and raw, which run sets and an interrupt reads.
	mu             sync.Mutex
	ad             harness.Adapter // the adapter that answers: the caller's own, once parse knows it
	ev             harness.Event   // the parsed event; empty until the input parsed
	raw            []byte          // the input (or its start), for denies before it parsed
	cfg            config.Config
	stdout, stderr io.Writer
	log            *diag
}

// learnt records what read found out, for an interrupt's deny.
func (r *hookRun) learnt(ad harness.Adapter, ev harness.Event, raw []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ad, r.ev, r.raw = ad, ev, raw
}

// interrupted writes a deny in the most precise shape known so far straight
// to the harness, while run may still be going.
func (r *hookRun) interrupted(reason string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = exitPanic
		}
	}()
	r.mu.Lock()
	ad, ev, raw := r.ad, r.ev, r.raw
	r.mu.Unlock()
	if ev != "" {
		return ad.Encode(ev, harness.Decision{Reason: reason}, stdout, stderr)
	}
	return ad.DenyWithoutInput(raw, reason, stdout, stderr)
}

// deny answers the harness with a deny: in the parsed event's shape once
// there is one, else in the shape the raw input suggests.
func (r *hookRun) deny(reason string) int {
	if r.ev != "" {
		return r.ad.Encode(r.ev, harness.Decision{Reason: reason}, r.stdout, r.stderr)
	}
	return r.ad.DenyWithoutInput(r.raw, reason, r.stdout, r.stderr)
}

// read reads stdin within the deadline and parses it with the adapter of
// the harness that wrote it. It returns the call, or nil and the reason to
// deny.
func (r *hookRun) read(stdin io.Reader) (*wire.ToolCall, string) {
	// The harness writes stdin and closes it; one that never closes it must
	// not hold the hook past its deadline (the harness's own timeout, later,
	// would let the call through).
	stdinWait := r.opts.Deadline
	if stdinWait <= 0 {
		stdinWait = config.Defaults().HookDeadline
	}
	raw, err := readAll(stdin, harness.MaxInput+1, stdinWait)
	if errors.Is(err, errPanic) {
		r.log.printf("%v", err)
		return nil, ReasonInternal
	}
	if err != nil {
		return nil, ReasonUnreadable + ": " + err.Error()
	}
	if len(raw) > harness.MaxInput {
		r.learnt(r.ad, "", raw[:4096])
		return nil, fmt.Sprintf("%s: input over %d bytes", ReasonUnreadable, harness.MaxInput)
	}
	r.learnt(r.ad, "", raw)
	ad, call, ev, err := parse(r.ad, raw, r.getenv, r.log)
	r.learnt(ad, ev, raw)
	if err != nil {
		return nil, ReasonUnreadable + ": " + err.Error()
	}
	return call, ""
}

// exchange loads the configuration and asks the engine about call, with the
// hook's own deadline.
func (r *hookRun) exchange(ctx context.Context, call *wire.ToolCall) (*Answer, error) {
	if r.opts.System {
		return r.exchangeSystem(ctx, call)
	}
	layout, err := paths.Resolve(r.opts.Home, r.getenv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	if r.cfg, err = config.Load(layout.ConfigFile); err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	reg := device.Open(layout.DevicesFile, layout.KeysDir, nil)
	return r.ask(ctx, Peer{Socket: layout.Socket, UID: os.Getuid()}, call, reg)
}

// ask exchanges call with the engine at peer within the hook's deadline,
// verifying the verdict with reg.
func (r *hookRun) ask(ctx context.Context, peer Peer, call *wire.ToolCall, reg *device.Registry) (*Answer, error) {
	wait := r.cfg.HookDeadline
	if r.opts.Deadline > 0 {
		wait = r.opts.Deadline
	}
	deadline := r.start.Add(wait)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// Read the device keys while the engine decides, not after.
	go func() {
		defer func() { _ = recover() }() // the verification reads them again
		reg.Warm()
	}()
	return ExchangeWith(ctx, peer, call, reg.Keyring(), deadline)
}

// exchangeSystem asks the engine of a system install. It trusts only what
// root set up: the directories from / down to the state and runtime
// directories are root's and closed to others, so the owner of the state
// directory is the engine's user, given that directory by root. The socket
// must be owned by, and answered by, that user; the policy must be root's;
// the verdict must verify with a public key from the registry that user
// wrote. The agent's user can neither read the engine's keys nor stand up
// an engine of its own that passes these checks.
func (r *hookRun) exchangeSystem(ctx context.Context, call *wire.ToolCall) (*Answer, error) {
	layout, err := paths.System(r.opts.Root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	uid, err := layout.EngineUID()
	if err != nil {
		return nil, err
	}
	if err := paths.CheckRootFile(layout.ConfigFile); err != nil {
		return nil, err
	}
	if r.cfg, err = config.Load(layout.ConfigFile); err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	reg := device.OpenWith(layout.DevicesFile, layout.KeysDir, nil, device.Access{Owner: uid, Shared: true})
	return r.ask(ctx, Peer{Socket: layout.Socket, UID: uid}, call, reg)
}

// errConfig marks a configuration the hook cannot run with.
var errConfig = errors.New("invalid configuration")

// answer encodes the outcome of the exchange for the harness. Only a
// verified approval allows; every error is a deny whose reason says what to
// do, with the details in the hook log.
func (r *hookRun) answer(ans *Answer, err error) int {
	switch {
	case err == nil:
	case errors.Is(err, errConfig):
		r.log.printf("%v", err)
		return r.deny(ReasonBadConfig)
	case errors.Is(err, ErrUnreachable):
		r.log.printf("%v", err)
		if r.cfg.Fallback == config.FallbackAsk && r.ad.HonoursAsk(r.ev) {
			return r.ad.Encode(r.ev, harness.Decision{Ask: true, Reason: "Ony console not running: asking you instead"}, r.stdout, r.stderr)
		}
		return r.deny(ReasonUnreachable)
	case errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded):
		return r.deny(ReasonTimeout)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.log.printf("%v", err)
		return r.deny(ReasonConsoleLost)
	case isVerdictError(err):
		r.log.printf("%v", err)
		return r.deny(ReasonBadVerdict)
	default:
		r.log.printf("%v", err)
		return r.deny(ReasonRefused)
	}
	v := ans.Verdict
	if v.Decision == verdict.Approve {
		return r.ad.Encode(r.ev, harness.Decision{Allow: true, Reason: v.Reason}, r.stdout, r.stderr)
	}
	reason := v.Reason
	if reason == "" {
		reason = harness.DefaultDenyReason
	}
	return r.deny(reason)
}

// parse reads raw with the adapter of the harness that wrote it. One harness
// can run another's hooks (Copilot CLI reads a repository's
// .claude/settings.json; Cursor can load Claude Code hooks), and each must be
// answered in its own encoding. When the payload's fingerprint names another
// harness whose adapter reads it, that adapter answers and the mismatch is
// logged; otherwise the installed adapter reads it (and its error denies).
func parse(installed harness.Adapter, raw []byte, getenv func(string) string, log *diag) (harness.Adapter, *wire.ToolCall, harness.Event, error) {
	if name := harness.Detect(raw); name != "" && name != installed.Name() {
		// windsurf and cline have no adapter: Lookup fails for them.
		if other, err := harness.Lookup(name); err == nil {
			if call, ev, err := other.Parse(raw, getenv); err == nil {
				log.printf("installed for %s, but this call comes from %s: answering in %s's format", installed.Name(), name, name)
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
