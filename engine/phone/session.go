package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
	"github.com/ony-dev/ony-tui/ledger"
)

// Timing is what a call waits for. The waits for keys are sent to
// SignalWire, which times the prompt.
type Timing struct {
	KeyWait   time.Duration // for a key after a question (10 s)
	CodeWait  time.Duration // for the first digit of a code (15 s)
	DigitWait time.Duration // between the digits of a code (5 s)
	MaxCall   time.Duration // the longest call (15 min)
	Decide    time.Duration // for the engine to record an answer (15 s)
}

func (t *Timing) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.KeyWait, 10*time.Second)
	def(&t.CodeWait, 15*time.Second)
	def(&t.DigitWait, 5*time.Second)
	def(&t.MaxCall, 15*time.Minute)
	def(&t.Decide, 15*time.Second)
}

// Limits of one call.
const (
	maxPrompts   = 3 // questions about one request, repeats included
	maxCodeTries = 2 // code entries for one request in one call
	maxSilences  = 2 // questions in a row with no key before hanging up
)

// result is what one call did.
type result struct {
	answered bool
	failed   bool   // the call itself failed (not answered, dropped, hung up)
	outcome  string // for the ledger and the console
	// included are the requests the call was about, oldest first.
	included []string
}

// session is one call.
type session struct {
	svc   *Service
	eng   *engine.Engine
	creds Credentials
	call  *relay.Call

	mu       sync.Mutex
	status   engine.CallStatus
	included []string
	inSet    map[string]bool
	asked    map[string]bool
	did      map[string]string // request -> what happened on this call
	keys     []string          // each key and what it meant, in order; never a code
	silences int
}

// errSettled: the request was answered elsewhere while it was being asked.
var errSettled = errors.New("answered elsewhere")

func (ss *session) publish() {
	ss.mu.Lock()
	st := ss.status
	st.Requests = append([]string(nil), ss.included...)
	st.Keys = append([]string(nil), ss.keys...)
	st.Changed = ss.svc.now()
	ss.mu.Unlock()
	ss.svc.publish(&st)
}

func (ss *session) setPhase(p engine.CallPhase) {
	ss.mu.Lock()
	changed := ss.status.Phase != p && ss.status.Phase != engine.CallEnded
	if changed {
		ss.status.Phase = p
	}
	ss.mu.Unlock()
	if changed {
		ss.publish()
	}
}

// onPhase maps RELAY phases to the console's. It runs on the relay
// client's read loop and returns at once.
func (ss *session) onPhase(p relay.Phase) {
	switch p {
	case relay.PhaseDialing:
		ss.setPhase(engine.CallDialling)
	case relay.PhaseCreated, relay.PhaseRinging:
		ss.setPhase(engine.CallRinging)
	case relay.PhaseAnswered:
		ss.setPhase(engine.CallAnswered)
	}
}

func (ss *session) include(id string) {
	ss.mu.Lock()
	if !ss.inSet[id] {
		ss.inSet[id] = true
		ss.included = append(ss.included, id)
	}
	ss.status.Current = id
	ss.mu.Unlock()
	ss.publish()
}

// key records a key pressed on request id and what it meant.
func (ss *session) key(id, what string) {
	ss.mu.Lock()
	ss.keys = append(ss.keys, shortID(id)+" "+what)
	ss.mu.Unlock()
	ss.publish()
}

func (ss *session) settle(id, what string) {
	ss.mu.Lock()
	ss.did[id] = what
	ss.asked[id] = true
	ss.mu.Unlock()
}

// shortID is a request id without its prefix, for the console's narrow
// header.
func shortID(id string) string { return strings.TrimPrefix(id, "req_") }

// eligible is whether a waiting request is one the phone can answer: it
// needs a human approval (with or without a code).
func eligible(r engine.Request) bool {
	return r.Need == config.Approve || r.Need == config.ApproveCode
}

// next returns the oldest request the call has not asked about yet, and
// how many such requests wait (it included).
func (ss *session) next() (engine.Request, int, bool) {
	snap := ss.eng.Snapshot()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var first engine.Request
	n := 0
	for _, r := range snap.Pending {
		if !eligible(r) || ss.asked[r.ID] {
			continue
		}
		if n == 0 {
			first = r
		}
		n++
	}
	return first, n, n > 0
}

// pending reports whether request id still waits.
func (ss *session) pending(id string) bool {
	for _, r := range ss.eng.Snapshot().Pending {
		if r.ID == id {
			return true
		}
	}
	return false
}

// anyEligible reports whether any request the phone could answer waits.
func (ss *session) anyEligible() bool {
	for _, r := range ss.eng.Snapshot().Pending {
		if eligible(r) {
			return true
		}
	}
	return false
}

// joinWaiting adds the requests that arrived since the dial to the call
// (they will be asked about once it is answered) and reports whether any
// request the phone could answer still waits.
func (ss *session) joinWaiting() bool {
	any, added := false, false
	snap := ss.eng.Snapshot()
	ss.mu.Lock()
	for _, r := range snap.Pending {
		if !eligible(r) {
			continue
		}
		any = true
		if !ss.inSet[r.ID] {
			ss.inSet[r.ID] = true
			ss.included = append(ss.included, r.ID)
			added = true
		}
	}
	ss.mu.Unlock()
	if added {
		ss.publish()
	}
	return any
}

// cancelWhen runs cancel as soon as cond stops holding (checked at every
// engine change). The returned stop ends the watch.
func (ss *session) cancelWhen(cond func() bool, cancel context.CancelFunc) (stop func()) {
	ch, unwatch := ss.eng.Subscribe()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer unwatch()
		for {
			if !cond() {
				cancel()
				return
			}
			select {
			case <-done:
				return
			case <-ch:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// run places the call and asks about every waiting request, oldest first,
// until none is left, the owner hangs up or stays silent, or ctx ends.
func (ss *session) run(ctx context.Context, ro relay.Options) result {
	client, err := relay.Connect(ctx, ro)
	if err != nil {
		ss.svc.problem("phone: cannot reach SignalWire: %v", err)
		return result{failed: true, outcome: "could not connect to SignalWire"}
	}
	defer client.Close()

	// While it rings, requests that arrive join the call, and the console
	// may answer everything: then hang up.
	dialCtx, cancelDial := context.WithCancel(ctx)
	stop := ss.cancelWhen(ss.joinWaiting, cancelDial)
	call, err := client.Dial(dialCtx, relay.DialParams{To: ss.creds.To, From: ss.creds.From, Ring: ss.svc.cfg.Ring,
		MaxDuration: ss.svc.timing.MaxCall, OnState: ss.onPhase})
	stop()
	cancelDial()
	if err != nil {
		if call != nil {
			ss.end(client, call)
		}
		var de *relay.DialError
		switch {
		case ctx.Err() != nil:
			return result{failed: true, outcome: "Ony stopped while the phone rang"}
		case errors.Is(err, context.Canceled) && !ss.anyEligible():
			return result{outcome: "everything was answered at the console while the phone rang"}
		case errors.As(err, &de):
			return result{failed: true, outcome: describeEnd(de.Reason)}
		case errors.Is(err, relay.ErrDisconnected):
			return result{failed: true, outcome: "the connection to SignalWire was lost"}
		}
		ss.svc.problem("phone: %v", err)
		return result{failed: true, outcome: "the call could not be placed"}
	}
	ss.call = call
	ss.setPhase(engine.CallAnswered)
	_ = ss.svc.record(ledger.KindPhoneAnswered, ss.firstID(), ss.creds.DeviceID, "answered by "+ss.creds.MaskedTo())
	defer ss.end(client, call)
	res := result{answered: true}
	res.failed, res.outcome = ss.converse(ctx)
	return res
}

// describeEnd says why a call was not answered.
func describeEnd(reason string) string {
	switch reason {
	case "busy":
		return "busy"
	case "noAnswer", "timeout":
		return "no answer"
	case "decline":
		return "declined"
	}
	return "not answered (" + reason + ")"
}

// end hangs up, best effort, within a few seconds.
func (ss *session) end(client *relay.Client, call *relay.Call) {
	ctx, cancel := context.WithTimeout(context.Background(), ss.svc.endWait)
	defer cancel()
	if err := call.End(ctx); err != nil {
		ss.svc.logf("phone: hanging up: %v", err)
	}
}

func (ss *session) firstID() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.included) == 0 {
		return ""
	}
	return ss.included[0]
}

// converse walks the waiting requests. It returns whether the call failed
// and its outcome.
func (ss *session) converse(ctx context.Context) (bool, string) {
	first := true
	for {
		if ctx.Err() != nil {
			ss.say(sayStopping)
			return true, "Ony stopped during the call"
		}
		r, waiting, ok := ss.next()
		if !ok {
			ss.say(sayNothingLeft)
			return false, "completed"
		}
		ss.include(r.ID)
		text := nextPrompt(waiting, r, ss.svc.now())
		if first {
			text = firstPrompt(waiting, r, ss.svc.now())
			first = false
		}
		if end, why := ss.ask(ctx, r, text); end {
			return why != "kill switch engaged" && why != "stopped: the kill switch is engaged", why
		}
	}
}

// ask asks about one request until it is settled or given up. end says
// the call is over, and why.
func (ss *session) ask(ctx context.Context, r engine.Request, text string) (end bool, why string) {
	prompt := text
	again := func(pre string) string {
		return pre + sayAgain + describe(r, ss.svc.now()) + " " + keysHelp
	}
	for range maxPrompts {
		got, err := ss.collect(ctx, r.ID, relay.Prompt{Text: prompt, Language: ss.creds.Language, MaxDigits: 1,
			InitialTimeout: ss.svc.timing.KeyWait, DigitTimeout: ss.svc.timing.DigitWait})
		if errors.Is(err, errSettled) {
			ss.settle(r.ID, "answered elsewhere")
			ss.say(sayAnsweredElse)
			return false, ""
		}
		if err != nil {
			return true, ss.callErr(ctx, err)
		}
		if got.Kind != "no_input" {
			ss.mu.Lock()
			ss.silences = 0
			ss.mu.Unlock()
		}
		switch {
		case got.Kind == "digit" && got.Digits == "1":
			return ss.approve(ctx, r)
		case got.Kind == "digit" && got.Digits == "2":
			return ss.deny(ctx, r)
		case got.Kind == "digit" && got.Digits == "9":
			return ss.kill(ctx, r)
		case got.Kind == "digit" && got.Digits == "3":
			ss.key(r.ID, "3 repeat")
			prompt = again("")
		case got.Kind == "no_input":
			ss.key(r.ID, "no key")
			ss.mu.Lock()
			ss.silences++
			silent := ss.silences >= maxSilences
			ss.mu.Unlock()
			if silent {
				ss.say(saySilentBye)
				return true, "no key pressed"
			}
			prompt = again(sayNoKey)
		case got.Kind == "digit":
			ss.key(r.ID, keyName(got.Digits)+" nothing")
			prompt = again(sayUnknownKey(got.Digits))
		default: // no_match, error
			ss.key(r.ID, "unrecognised input")
			prompt = again(sayUnknownKey(""))
		}
	}
	ss.settle(r.ID, "no answer")
	ss.say(sayGiveUp)
	return false, ""
}

func keyName(d string) string {
	if len(d) == 1 {
		return d
	}
	return "keys"
}

// collect plays one prompt. If the request is settled elsewhere meanwhile
// (the console answered first), the prompt is stopped and errSettled
// returned.
func (ss *session) collect(ctx context.Context, id string, p relay.Prompt) (relay.Collected, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := ss.cancelWhen(func() bool { return ss.pending(id) }, cancel)
	got, err := ss.call.PlayAndCollect(pctx, p)
	stop()
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		return relay.Collected{}, errSettled
	}
	return got, err
}

// callErr describes a call that can go no further.
func (ss *session) callErr(ctx context.Context, err error) string {
	var ee *relay.EndedError
	switch {
	case ctx.Err() != nil:
		ss.say(sayStopping)
		return "Ony stopped during the call"
	case errors.As(err, &ee):
		return "the owner hung up"
	case errors.Is(err, relay.ErrDisconnected):
		return "the connection to SignalWire was lost"
	}
	ss.svc.logf("phone: during the call: %v", err)
	return "the call failed"
}

// say speaks a short message, best effort.
func (ss *session) say(text string) {
	ctx, cancel := context.WithTimeout(context.Background(), ss.svc.endWait)
	defer cancel()
	if err := ss.call.Say(ctx, text, ss.creds.Language); err != nil {
		ss.svc.logf("phone: saying a message: %v", err)
	}
}

// summary is the ledger's account of the call: what each request got and
// every key with its meaning. Never a code.
func (ss *session) summary(outcome string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "to %s; %s", ss.creds.MaskedTo(), outcome)
	if len(ss.included) > 0 {
		b.WriteString("; requests:")
		for _, id := range ss.included {
			what := ss.did[id]
			if what == "" {
				what = "not settled"
			}
			fmt.Fprintf(&b, " %s %s,", id, what)
		}
	}
	if len(ss.keys) > 0 {
		b.WriteString(" keys: " + strings.Join(ss.keys, ", "))
	}
	return clip(strings.TrimSuffix(b.String(), ","), 1000)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
