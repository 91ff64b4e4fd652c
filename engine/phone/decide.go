package phone

import (
	"context"
	"errors"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
)

func (ss *session) decideCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), ss.svc.timing.Decide)
}

// stillEnrolled checks the phone device is still the active one, so the
// phone never says "approved" for a verdict the engine would turn into a
// deny because the device cannot sign.
func (ss *session) stillEnrolled() bool {
	_, err := ActiveDevice(ss.svc.devices, ss.creds)
	return err == nil
}

func (ss *session) approve(ctx context.Context, r engine.Request) (bool, string) {
	if !ss.stillEnrolled() {
		ss.key(r.ID, "1 approve, phone no longer enrolled")
		ss.say("This phone is no longer enrolled. Nothing was approved. Goodbye.")
		return true, "the phone device was revoked"
	}
	if r.Need == config.ApproveCode {
		return ss.approveWithCode(ctx, r)
	}
	dctx, cancel := ss.decideCtx()
	defer cancel()
	err := ss.eng.Decide(dctx, r.ID, engine.Approval{Approve: true, Via: device.KindPhone})
	return ss.decided(r, err, "1 approve", "approved", sayApproved)
}

// decided reports the engine's answer to a decision on the phone.
func (ss *session) decided(r engine.Request, err error, key, did, said string) (bool, string) {
	switch {
	case err == nil:
		ss.key(r.ID, key)
		ss.settle(r.ID, did)
		ss.say(said)
		return false, ""
	case errors.Is(err, engine.ErrNotPending):
		ss.key(r.ID, key+", already answered")
		ss.settle(r.ID, "answered elsewhere")
		ss.say(sayAnsweredElse)
		return false, ""
	case errors.Is(err, engine.ErrKillSwitch):
		ss.key(r.ID, key+", kill switch engaged")
		ss.say(sayKillOn)
		return true, "stopped: the kill switch is engaged"
	}
	ss.key(r.ID, key+", not recorded")
	ss.svc.problem("phone: recording the answer for %s: %v", r.ID, err)
	ss.settle(r.ID, "not recorded")
	ss.say(sayCannot)
	return false, ""
}

// approveWithCode asks for the 6-digit code after a 1 on a critical
// request. The engine checks it with the console's rules (single use, the
// per-request limit, the hourly lock). The code is never recorded, logged
// or kept.
func (ss *session) approveWithCode(ctx context.Context, r engine.Request) (bool, string) {
	text := sayCodePrompt
	for range maxCodeTries {
		got, err := ss.collect(ctx, r.ID, relay.Prompt{Text: text, Language: ss.creds.Language, MaxDigits: 6, Terminators: "#",
			InitialTimeout: ss.svc.timing.CodeWait, DigitTimeout: ss.svc.timing.DigitWait})
		if errors.Is(err, errSettled) {
			ss.settle(r.ID, "answered elsewhere")
			ss.say(sayAnsweredElse)
			return false, ""
		}
		if err != nil {
			return true, ss.callErr(ctx, err)
		}
		text = sayCodeRetry
		if got.Kind != "digit" || len(got.Digits) != 6 {
			ss.key(r.ID, "1 approve, no 6-digit code entered")
			ss.say(sayCodeShort)
			continue
		}
		dctx, cancel := ss.decideCtx()
		err = ss.eng.Decide(dctx, r.ID, engine.Approval{Approve: true, Via: device.KindPhone, Code: got.Digits})
		cancel()
		got = relay.Collected{}
		switch {
		case errors.Is(err, engine.ErrBadCode):
			ss.key(r.ID, "1 approve, code wrong")
			ss.say(sayCodeWrong)
			if !ss.pending(r.ID) {
				ss.settle(r.ID, "denied after wrong codes")
				return false, ""
			}
			continue
		case errors.Is(err, engine.ErrCodeRequired):
			ss.key(r.ID, "1 approve, no code device")
			ss.settle(r.ID, "no code device")
			ss.say("No code device is enrolled, so critical actions cannot be approved. Nothing was approved.")
			return false, ""
		}
		return ss.decided(r, err, "1 approve, code accepted", "approved with code", sayApproved)
	}
	ss.settle(r.ID, "no answer")
	ss.say(sayGiveUp)
	return false, ""
}

func (ss *session) deny(_ context.Context, r engine.Request) (bool, string) {
	dctx, cancel := ss.decideCtx()
	defer cancel()
	err := ss.eng.Decide(dctx, r.ID, engine.Approval{Approve: false, Via: device.KindPhone})
	return ss.decided(r, err, "2 deny", "denied", sayDenied)
}

func (ss *session) kill(_ context.Context, r engine.Request) (bool, string) {
	ss.key(r.ID, "9 kill switch")
	dctx, cancel := ss.decideCtx()
	defer cancel()
	if err := ss.eng.EngageKillSwitch(dctx); err != nil {
		// Engaged in memory even so; the engine reports the rest.
		ss.svc.logf("phone: engaging the kill switch: %v", err)
	}
	ss.say(sayKill)
	return true, "kill switch engaged"
}
