package phone

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
	"github.com/ony-dev/ony-tui/ledger"
)

// CallOptions configure a call placed by a command (an enrolment or a
// test call) rather than by the service.
type CallOptions struct {
	// Relay holds the client's timeouts; URL and credentials come from the
	// Credentials.
	Relay  relay.Options
	Ring   time.Duration // 30 s
	Timing Timing
	// Journal records the call (placed, answered, ended or failed).
	Journal engine.Journal
	// DeviceID is recorded with the call (empty before enrolment).
	DeviceID string
	// Progress is told what happens ("ringing", "answered", ...); it must
	// not block.
	Progress func(string)
}

// ErrNotProved: the owner did not press the digit read to them.
var ErrNotProved = errors.New("the digit read on the call was not pressed: nothing was enrolled")

// Connect checks the credentials with SignalWire: it authenticates and
// disconnects.
func Connect(ctx context.Context, c Credentials, ro relay.Options) error {
	ro.URL, ro.Project, ro.Token = c.URL(), c.Project, c.Token.Reveal()
	cl, err := relay.Connect(ctx, ro)
	if err != nil {
		return err
	}
	return cl.Close()
}

// Prove calls the owner and reads a random digit; it returns nil only when
// that digit was pressed. The digit is never shown: hearing it proves the
// phone is the owner's.
func Prove(ctx context.Context, c Credentials, o CallOptions) error {
	n, err := rand.Int(rand.Reader, big.NewInt(9))
	if err != nil {
		return fmt.Errorf("choosing a digit: %w", err)
	}
	digit := strconv.Itoa(int(n.Int64()) + 1)
	ask := "This is Ony, confirming this phone for approvals. Press " + digit + "."
	proved := false
	outcome, err := placeCall(ctx, c, o, "enrolment call", func(ctx context.Context, call *relay.Call, t Timing) (string, error) {
		prompt := ask
		for range 3 {
			got, err := call.PlayAndCollect(ctx, relay.Prompt{Text: prompt, Language: c.Language, MaxDigits: 1,
				InitialTimeout: t.KeyWait, DigitTimeout: t.DigitWait})
			if err != nil {
				return "", err
			}
			if got.Kind == "digit" && got.Digits == digit {
				proved = true
				say(call, c, "Thank you. This phone will now get Ony's calls when nobody answers at the console. Goodbye.")
				return "number proved", nil
			}
			if got.Kind == "no_input" {
				prompt = "I did not hear a key. " + ask
			} else {
				prompt = "That was not the digit. " + ask
			}
		}
		say(call, c, "The phone was not confirmed. Goodbye.")
		return "the digit was not pressed", nil
	})
	if err != nil {
		return err
	}
	if !proved {
		return fmt.Errorf("%w (%s)", ErrNotProved, outcome)
	}
	return nil
}

// TestCall places a test call: it says what Ony's calls are for and waits
// for any key. It returns what happened.
func TestCall(ctx context.Context, c Credentials, o CallOptions) (string, error) {
	return placeCall(ctx, c, o, "test call", func(ctx context.Context, call *relay.Call, t Timing) (string, error) {
		got, err := call.PlayAndCollect(ctx, relay.Prompt{Text: "This is a test call from Ony. When nobody answers at the console, " +
			"calls like this one ask you to approve what your agents want to do. Press any key to end the test.",
			Language: c.Language, MaxDigits: 1, InitialTimeout: t.KeyWait, DigitTimeout: t.DigitWait})
		if err != nil {
			return "", err
		}
		if got.Kind != "digit" {
			return "answered, no key pressed", nil
		}
		say(call, c, "Test passed. Goodbye.")
		return "answered, a key was pressed", nil
	})
}

func say(call *relay.Call, c Credentials, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = call.Say(ctx, text, c.Language)
}

// placeCall dials, runs talk once answered, hangs up and records the call.
func placeCall(ctx context.Context, c Credentials, o CallOptions, purpose string,
	talk func(context.Context, *relay.Call, Timing) (string, error)) (string, error) {
	o.Timing.defaults()
	if o.Ring <= 0 {
		o.Ring = 30 * time.Second
	}
	progress := func(s string) {
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	record := func(kind ledger.Kind, detail string) error {
		if o.Journal == nil {
			return nil
		}
		_, err := o.Journal.Append(context.Background(), ledger.Entry{Kind: kind, DeviceID: o.DeviceID, Detail: detail})
		return err
	}
	to := c.MaskedTo()
	if err := record(ledger.KindPhonePlaced, purpose+": calling "+to); err != nil {
		return "", fmt.Errorf("recording the call: %w", err)
	}
	fail := func(outcome string, err error) (string, error) {
		_ = record(ledger.KindPhoneFailed, purpose+" to "+to+": "+outcome)
		return outcome, err
	}
	ro := o.Relay
	ro.URL, ro.Project, ro.Token = c.URL(), c.Project, c.Token.Reveal()
	cl, err := relay.Connect(ctx, ro)
	if err != nil {
		return fail("could not connect to SignalWire", err)
	}
	defer cl.Close()
	progress("dialling " + to)
	call, err := cl.Dial(ctx, relay.DialParams{To: c.To, From: c.From, Ring: o.Ring, MaxDuration: 5 * time.Minute,
		OnState: func(p relay.Phase) {
			if p == relay.PhaseRinging || p == relay.PhaseAnswered {
				progress(string(p))
			}
		}})
	if err != nil {
		if call != nil {
			hangUp(call)
		}
		var de *relay.DialError
		if errors.As(err, &de) {
			return fail(describeEnd(de.Reason), fmt.Errorf("%s to %s: %w", purpose, to, err))
		}
		return fail("the call could not be placed", err)
	}
	_ = record(ledger.KindPhoneAnswered, purpose+": answered by "+to)
	outcome, err := talk(ctx, call, o.Timing)
	hangUp(call)
	if err != nil {
		var ee *relay.EndedError
		switch {
		case errors.As(err, &ee):
			outcome = "the owner hung up"
		case errors.Is(err, relay.ErrDisconnected):
			outcome = "the connection to SignalWire was lost"
		default:
			outcome = "the call failed"
		}
		_ = record(ledger.KindPhoneEnded, purpose+" to "+to+": "+outcome)
		return outcome, fmt.Errorf("%s: %s: %w", purpose, outcome, err)
	}
	progress("ended: " + outcome)
	if err := record(ledger.KindPhoneEnded, purpose+" to "+to+": "+outcome); err != nil {
		return outcome, fmt.Errorf("recording the call: %w", err)
	}
	return outcome, nil
}

func hangUp(call *relay.Call) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = call.End(ctx)
}
