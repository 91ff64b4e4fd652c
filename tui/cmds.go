package tui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// Every tea.Cmd the console issues is built here. All I/O (engine
// decisions, the kill switch, the away state, ledger polling and
// re-verification) runs inside these commands, never in Update.

const (
	// engineTimeout bounds one engine call made from the console.
	engineTimeout = 15 * time.Second
	// chainTimeout bounds one read of the newest ledger entries.
	chainTimeout = 5 * time.Second
	// clockPeriod moves ages and countdowns.
	clockPeriod = time.Second
)

// snapshotter takes numbered engine snapshots. The number and the snapshot
// are taken under one lock, so a higher number is never an older state.
type snapshotter struct {
	eng     Engine
	changes <-chan struct{} // the console's own subscription
	mu      sync.Mutex
	seq     uint64
}

// newSnapshotter subscribes to eng's changes until ctx ends.
func newSnapshotter(ctx context.Context, eng Engine) *snapshotter {
	ch, unsubscribe := eng.Subscribe()
	context.AfterFunc(ctx, unsubscribe)
	return &snapshotter{eng: eng, changes: ch}
}

func (s *snapshotter) take(watch bool) snapshotMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	snap := s.eng.Snapshot()
	for i := range snap.Pending {
		snap.Pending[i] = visibleRequest(snap.Pending[i])
	}
	return snapshotMsg{seq: s.seq, snap: snap, watch: watch}
}

// refreshCmd reads the engine's state once.
func refreshCmd(s *snapshotter) tea.Cmd {
	return func() tea.Msg { return s.take(false) }
}

// watchCmd waits for the engine's next change notification and then reads
// its state. Update re-issues it after each snapshot it produces. It
// returns nil once ctx ends (the console stopped).
func watchCmd(ctx context.Context, s *snapshotter) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-ctx.Done():
			return nil
		case <-s.changes:
			return s.take(true)
		}
	}
}

// clockCmd ticks once after clockPeriod.
func clockCmd() tea.Cmd {
	return tea.Tick(clockPeriod, func(t time.Time) tea.Msg { return clockMsg(t) })
}

// readChain reads the newest n ledger entries.
func readChain(ctx context.Context, c Chain, n int, rearm bool) chainMsg {
	ctx, cancel := context.WithTimeout(ctx, chainTimeout)
	defer cancel()
	entries, st, err := c.Latest(ctx, n)
	return chainMsg{entries: entries, status: st, err: err, rearm: rearm}
}

// chainNowCmd reads the ledger once, at once.
func chainNowCmd(ctx context.Context, c Chain, n int) tea.Cmd {
	return func() tea.Msg { return readChain(ctx, c, n, false) }
}

// pollChainCmd reads the ledger after every, as one step of the polling
// loop; its message re-arms the loop.
func pollChainCmd(ctx context.Context, c Chain, n int, every time.Duration) tea.Cmd {
	return tea.Tick(every, func(time.Time) tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		return readChain(ctx, c, n, true)
	})
}

// decideCmd approves or denies one request at the console keypad.
func decideCmd(ctx context.Context, s *snapshotter, r engine.Request, approve bool, code, by string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, engineTimeout)
		defer cancel()
		err := s.eng.Decide(ctx, r.ID, engine.Approval{Approve: approve, Via: device.KindConsole, Code: code, By: by})
		return decidedMsg{id: r.ID, approve: approve, withCode: code != "", title: requestTitle(r), err: err, snap: s.take(false)}
	}
}

// rememberCmd approves one request at the console keypad and keeps the
// approval as a standing answer of scope.
func rememberCmd(ctx context.Context, s *snapshotter, r engine.Request, scope engine.Scope, code, by string, via device.Kind) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, viaTimeout(via))
		defer cancel()
		ans, err := s.eng.Remember(ctx, r.ID, scope, engine.Approval{Approve: true, Via: via, Code: code, By: by})
		return rememberedMsg{id: r.ID, title: requestTitle(r), answer: ans, err: err, snap: s.take(false)}
	}
}

// classifyCmd approves one request at the console keypad and classifies
// its program in the overlay.
func classifyCmd(ctx context.Context, s *snapshotter, r engine.Request, lv risk.Level, title, code, by string, via device.Kind) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, viaTimeout(via))
		defer cancel()
		rule, err := s.eng.ClassifyProgram(ctx, r.ID, lv, title, engine.Approval{Approve: true, Via: via, Code: code, By: by})
		return rememberedMsg{id: r.ID, title: requestTitle(r), rule: rule, err: err, snap: s.take(false)}
	}
}

// viaTimeout bounds an approval made at the keypad or, waiting for the
// card, on a YubiKey.
func viaTimeout(via device.Kind) time.Duration {
	if via == device.KindYubiKey {
		return touchCmdTimeout
	}
	return engineTimeout
}

// touchCmdTimeout bounds a YubiKey approval: the card's own timeout, the
// helper that talks to it, and finding the card.
const touchCmdTimeout = 60 * time.Second

// touchCmd approves one request with a signature made on the YubiKey; it
// returns when the card has signed or given up.
func touchCmd(ctx context.Context, s *snapshotter, r engine.Request, code, pin, by string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, touchCmdTimeout)
		defer cancel()
		err := s.eng.Decide(ctx, r.ID, engine.Approval{Approve: true, Via: device.KindYubiKey, Code: code, PIN: pin, By: by})
		return decidedMsg{id: r.ID, approve: true, withCode: code != "", touch: true, title: requestTitle(r), err: err, snap: s.take(false)}
	}
}

// killSwitchCmd engages or releases the kill switch.
func killSwitchCmd(ctx context.Context, s *snapshotter, engage bool, waiting int, code string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, engineTimeout)
		defer cancel()
		var err error
		if engage {
			err = s.eng.EngageKillSwitch(ctx)
		} else {
			err = s.eng.ReleaseKillSwitch(ctx, code)
		}
		return killSwitchMsg{engage: engage, denied: waiting, withCode: code != "", err: err, snap: s.take(false)}
	}
}

// awayCmd records that the owner is away from the console, or back.
func awayCmd(ctx context.Context, s *snapshotter, away bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, engineTimeout)
		defer cancel()
		err := s.eng.SetAway(ctx, away)
		return awayMsg{away: away, err: err, snap: s.take(false)}
	}
}

// bellCmd rings the terminal bell. tea.Raw writes straight to the
// terminal, so it sounds in the alternate screen too (and tmux marks the
// window).
func bellCmd() tea.Cmd { return tea.Raw("\a") }

// reverifyRun is one whole-chain re-verification running in the
// background. Progress is coalesced: only the latest figure waits.
type reverifyRun struct {
	progress chan [2]uint64
	done     chan reverifyDoneMsg
	cancel   context.CancelFunc
}

// offer replaces any unread progress with p. There is one producer.
func (r *reverifyRun) offer(done, total uint64) {
	select {
	case <-r.progress:
	default:
	}
	select {
	case r.progress <- [2]uint64{done, total}:
	default:
	}
}

// progressSteps is how many progress updates a run reports at most.
const progressSteps = 400

// startReverifyCmd starts re-verifying the whole chain.
func startReverifyCmd(ctx context.Context, c Chain) tea.Cmd {
	return func() tea.Msg {
		rctx, cancel := context.WithCancel(ctx)
		run := &reverifyRun{progress: make(chan [2]uint64, 1), done: make(chan reverifyDoneMsg, 1), cancel: cancel}
		go func() {
			defer cancel()
			var sent uint64
			st, err := c.Reverify(rctx, func(done, total uint64) {
				if step := total / progressSteps; done < total && done-sent < step {
					return
				}
				sent = done
				run.offer(done, total)
			})
			run.done <- reverifyDoneMsg{run: run, status: st, err: err}
		}()
		return reverifyStartedMsg{run: run}
	}
}

// waitReverifyCmd waits for the next progress figure or the outcome.
func waitReverifyCmd(run *reverifyRun) tea.Cmd {
	return func() tea.Msg {
		select { // progress first, when both are ready
		case p := <-run.progress:
			return reverifyProgressMsg{run: run, done: p[0], total: p[1]}
		default:
		}
		select {
		case p := <-run.progress:
			return reverifyProgressMsg{run: run, done: p[0], total: p[1]}
		case d := <-run.done:
			return d
		}
	}
}
