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
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/ledger"
)

// Options configure the phone service.
type Options struct {
	Engine  *engine.Engine
	Journal engine.Journal
	Devices *device.Registry
	// KeysDir holds the credentials file (CredentialsFile).
	KeysDir string
	Config  config.Phone
	// Relay holds the client's timeouts; its URL and credentials come from
	// the credentials file.
	Relay  relay.Options
	Timing Timing
	Now    func() time.Time
	// Logf receives diagnostics (never a credential or a code); nil
	// discards them.
	Logf func(format string, args ...any)
	// Recheck is how often the enrolment is read again (10 s).
	Recheck time.Duration
	// EndWait bounds a goodbye and the hang-up (5 s).
	EndWait time.Duration
}

// Service decides when to call the owner and runs the calls, one at a
// time:
//   - a high or critical request waiting for a human causes a call when
//     the owner is away, when no console is attached to the engine, or
//     when it has waited Config.After with no key pressed at a console;
//   - requests that arrive during a call join it; low and medium ones
//     join but never cause one;
//   - no call starts within Config.MinGap of the last one's end, nor
//     beyond Config.MaxPerHour calls an hour;
//   - requests a call did not settle stay waiting until their deadline,
//     or with on_failure: deny are denied at once.
type Service struct {
	eng     *engine.Engine
	journal engine.Journal
	devices *device.Registry
	keysDir string
	cfg     config.Phone
	relay   relay.Options
	timing  Timing
	now     func() time.Time
	logFn   func(string, ...any)
	recheck time.Duration
	endWait time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	creds     *Credentials // nil: not enrolled
	said      string       // the last enrolment problem reported
	last      *engine.CallStatus
	calling   bool
	lastEnd   time.Time
	starts    []time.Time
	triggered map[string]bool // requests that already caused (or joined) a call
	capUntil  time.Time       // the cap was reported until then
}

// Start runs the service until Stop.
func Start(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Recheck <= 0 {
		o.Recheck = 10 * time.Second
	}
	if o.EndWait <= 0 {
		o.EndWait = 5 * time.Second
	}
	o.Timing.defaults()
	s := &Service{eng: o.Engine, journal: o.Journal, devices: o.Devices, keysDir: o.KeysDir, cfg: o.Config,
		relay: o.Relay, timing: o.Timing, now: o.Now, logFn: o.Logf, recheck: o.Recheck, endWait: o.EndWait,
		done: make(chan struct{}), triggered: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.loadEnrolment()
	go s.loop()
	return s
}

// Stop ends the service. A call in progress is told and hung up first.
func (s *Service) Stop() {
	s.cancel()
	<-s.done
}

func (s *Service) logf(format string, args ...any) {
	if s.logFn != nil {
		s.logFn(format, args...)
	}
}

func (s *Service) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.logf("%s", msg)
	s.eng.Problem(msg)
}

// loadEnrolment reads the credentials and checks the phone device is
// active. It returns the credentials, or nil if no phone can be called.
func (s *Service) loadEnrolment() *Credentials {
	c, err := LoadCredentials(s.keysDir)
	var say string
	switch {
	case errors.Is(err, ErrNotEnrolled):
	case err != nil:
		say = "phone: " + err.Error()
	default:
		if _, derr := ActiveDevice(s.devices, c); derr != nil {
			say = "phone: " + derr.Error()
		}
	}
	var creds *Credentials
	if err == nil && say == "" {
		creds = &c
	}
	s.mu.Lock()
	changed := (s.creds == nil) != (creds == nil) || (creds != nil && s.creds.To != creds.To)
	s.creds = creds
	report := say != "" && say != s.said
	s.said = say
	s.mu.Unlock()
	if report {
		s.problem("%s", say)
	}
	if changed {
		s.publish(nil)
	}
	return creds
}

// publish shows the phone's state on the console; call is nil to keep
// the last call shown.
func (s *Service) publish(call *engine.CallStatus) {
	s.mu.Lock()
	if call != nil {
		c := *call
		s.last = &c
	}
	st := engine.PhoneStatus{Enrolled: s.creds != nil, Call: s.last}
	if s.creds != nil {
		st.To = s.creds.MaskedTo()
	}
	s.mu.Unlock()
	s.eng.SetPhone(st)
}

func (s *Service) record(kind ledger.Kind, requestID, deviceID, detail string) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timing.Decide)
	defer cancel()
	_, err := s.journal.Append(ctx, ledger.Entry{Kind: kind, RequestID: requestID, DeviceID: deviceID, Detail: detail})
	if err != nil {
		s.problem("phone: the ledger could not record the call (%s): %v", kind, err)
	}
	return err
}

func (s *Service) loop() {
	defer close(s.done)
	watch, unwatch := s.eng.Subscribe()
	defer unwatch()
	recheck := time.NewTicker(s.recheck)
	defer recheck.Stop()
	callDone := make(chan result, 1)
	for {
		var wake <-chan time.Time
		var timer *time.Timer
		s.mu.Lock()
		calling, enrolled := s.calling, s.creds != nil
		s.mu.Unlock()
		changes := watch
		if !enrolled {
			changes = nil // nothing to call: the engine's changes do not matter
		}
		if !calling {
			if d := s.consider(callDone); d >= 0 {
				timer = time.NewTimer(d)
				wake = timer.C
			}
		}
		select {
		case <-s.ctx.Done():
			if calling {
				<-callDone
			}
			if timer != nil {
				timer.Stop()
			}
			return
		case <-changes:
		case <-recheck.C:
			s.loadEnrolment()
		case <-wake:
		case res := <-callDone:
			s.afterCall(res)
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// risky is whether a request's risk may cause a call.
func risky(r engine.Request) bool { return r.Class.Risk.OrCritical() >= risk.High }

// consider starts a call if one is due and allowed. It returns how long
// until it should look again (negative: only at the next change).
func (s *Service) consider(callDone chan<- result) time.Duration {
	s.mu.Lock()
	creds := s.creds
	s.mu.Unlock()
	if creds == nil {
		return -1
	}
	now := s.now()
	snap := s.eng.Snapshot()
	unattended := snap.Away || len(snap.Consoles) == 0
	wake := time.Duration(-1)
	soonest := func(d time.Duration) {
		if d < 0 {
			d = 0
		}
		if wake < 0 || d < wake {
			wake = d
		}
	}
	var all []string
	due := false
	live := map[string]bool{}
	s.mu.Lock()
	for _, r := range snap.Pending {
		live[r.ID] = true
		if !eligible(r) {
			continue
		}
		all = append(all, r.ID)
		if !risky(r) || s.triggered[r.ID] {
			continue
		}
		since := r.Arrived
		if snap.LastActivity.After(since) {
			since = snap.LastActivity
		}
		if unattended || now.Sub(since) >= s.cfg.After {
			due = true
		} else {
			soonest(since.Add(s.cfg.After).Sub(now))
		}
	}
	for id := range s.triggered {
		if !live[id] {
			delete(s.triggered, id)
		}
	}
	if !due {
		s.mu.Unlock()
		return wake
	}
	if until, why := s.blockedLocked(now); why != "" {
		report := now.After(s.capUntil)
		if report {
			s.capUntil = until
		}
		s.mu.Unlock()
		if report && strings.HasPrefix(why, "cap") {
			s.problem("phone: not calling until %s: %s", until.Format(time.TimeOnly), why)
		}
		soonest(until.Sub(now))
		return wake
	}
	s.mu.Unlock()
	if creds = s.loadEnrolment(); creds == nil {
		return wake
	}
	s.mu.Lock()
	for _, id := range all {
		s.triggered[id] = true
	}
	s.calling = true
	s.starts = append(s.starts, now)
	s.mu.Unlock()
	go func() { callDone <- s.runCall(*creds, all) }()
	return -1
}

// blockedLocked says whether the gap or the hourly cap holds a call back,
// until when, and why.
func (s *Service) blockedLocked(now time.Time) (time.Time, string) {
	if !s.lastEnd.IsZero() && now.Sub(s.lastEnd) < s.cfg.MinGap {
		return s.lastEnd.Add(s.cfg.MinGap), "the minimum gap between calls"
	}
	kept := s.starts[:0]
	for _, t := range s.starts {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	s.starts = kept
	if len(s.starts) >= s.cfg.MaxPerHour {
		return s.starts[0].Add(time.Hour), fmt.Sprintf("cap of %d calls an hour reached", s.cfg.MaxPerHour)
	}
	return time.Time{}, ""
}

// afterCall applies the fallback to what the call left waiting.
func (s *Service) afterCall(res result) {
	s.mu.Lock()
	s.calling = false
	s.lastEnd = s.now()
	for _, id := range res.included { // those that joined cause no call of their own
		s.triggered[id] = true
	}
	s.mu.Unlock()
	if s.cfg.OnFailure != config.PhoneDeny || s.ctx.Err() != nil {
		return
	}
	reason := "denied: Ony phoned the owner and got no approval (" + res.outcome + "); ask the user"
	for _, id := range res.included {
		ctx, cancel := context.WithTimeout(context.Background(), s.timing.Decide)
		err := s.eng.DenyNow(ctx, id, reason)
		cancel()
		if err != nil && !errors.Is(err, engine.ErrNotPending) {
			s.logf("phone: denying %s after the call: %v", id, err)
		}
	}
}

// runCall places one call about ids (and whatever joins it).
func (s *Service) runCall(creds Credentials, ids []string) result {
	now := s.now()
	ss := &session{svc: s, eng: s.eng, creds: creds, inSet: map[string]bool{}, asked: map[string]bool{}, did: map[string]string{}}
	ss.status = engine.CallStatus{Phase: engine.CallDialling, Started: now}
	for _, id := range ids {
		ss.inSet[id] = true
		ss.included = append(ss.included, id)
	}
	ss.publish()
	detail := clip(fmt.Sprintf("calling %s about %d requests: %s", creds.MaskedTo(), len(ids), strings.Join(ids, ", ")), 1000)
	var res result
	if err := s.record(ledger.KindPhonePlaced, ids[0], creds.DeviceID, detail); err != nil {
		res = result{failed: true, outcome: "not placed: the ledger could not record it"}
	} else {
		ro := s.relay
		ro.URL, ro.Project, ro.Token = creds.URL(), creds.Project, creds.Token.Reveal()
		if ro.Logf == nil {
			ro.Logf = s.logFn
		}
		res = ss.run(s.ctx, ro)
	}
	kind := ledger.KindPhoneEnded
	if !res.answered && res.failed {
		kind = ledger.KindPhoneFailed
	}
	_ = s.record(kind, ids[0], creds.DeviceID, ss.summary(res.outcome))
	ss.mu.Lock()
	res.included = append([]string(nil), ss.included...)
	ss.status.Phase, ss.status.Outcome, ss.status.Current = engine.CallEnded, res.outcome, ""
	ss.mu.Unlock()
	ss.publish()
	return res
}
