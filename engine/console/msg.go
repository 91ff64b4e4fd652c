// Package console is the protocol between a running engine and the consoles
// attached to it: framed JSON messages over the engine's console socket,
// which only the owner's uid may use. Several consoles (a side terminal, a
// tmux pane, an SSH login on a jump host) attach at once; each sees the same
// queue live and the first valid answer wins.
//
// The frames are the hook protocol's (engine/wire): a 4-byte big-endian
// length, then JSON. Every message carries "v" and "type". The exchange is
// specified in docs/PROTOCOL.md; Server is the engine's side and Client the
// console's.
package console

import (
	"strconv"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger/live"
)

// Version is the console protocol version this build speaks.
const Version = 1

// MaxFrame is the largest frame either side accepts: a state message lists
// every waiting request.
const MaxFrame = 16 << 20

// MaxCommandShown is how much of a waiting request's command a state message
// carries; the rest is replaced by a marker that says how much is missing,
// so a console never shows a cut command as if it were whole.
const MaxCommandShown = 8 << 10

// Message types.
const (
	TypeHello    = "hello"    // console → engine: the first message
	TypeWelcome  = "welcome"  // engine → console: attached
	TypeState    = "state"    // engine → console: the engine's state
	TypeChain    = "chain"    // engine → console: the ledger's newest entries
	TypeDecide   = "decide"   // console → engine: approve or deny a request
	TypeKill     = "kill"     // console → engine: engage or release the kill switch
	TypeAway     = "away"     // console → engine: the owner is away, or back
	TypeActivity = "activity" // console → engine: a person pressed a key
	TypeReverify = "reverify" // console → engine: re-verify the whole chain
	TypeProgress = "progress" // engine → console: how far a re-verification is
	TypeStats    = "stats"    // console → engine: the figures of what Ony decided
	TypeRemember = "remember" // console → engine: approve and keep a standing answer
	TypeAnswers  = "answers"  // console → engine: the standing answers held
	TypeForget   = "forget"   // console → engine: forget a standing answer or an overlay rule
	TypeClassify = "classify" // console → engine: approve and classify an unknown program
	TypeResult   = "result"   // engine → console: the outcome of a command
	TypeError    = "error"    // engine → console: refused; the connection closes
)

// Envelope is decoded first to learn a message's type.
type Envelope struct {
	V    int    `json:"v"`
	Type string `json:"type"`
}

// Hello opens a console's connection.
type Hello struct {
	V     int    `json:"v"`
	Type  string `json:"type"`
	Label string `json:"label"` // where the console runs, shown to the others
	Build string `json:"build"`
}

// MaxLabel bounds a console's label.
const MaxLabel = 200

// Welcome answers Hello.
type Welcome struct {
	V         int    `json:"v"`
	Type      string `json:"type"`
	ConsoleID string `json:"console_id"`
	Build     string `json:"build"`
}

// State is the engine's state, sent on attach and after every change.
type State struct {
	V     int      `json:"v"`
	Type  string   `json:"type"`
	Seq   uint64   `json:"seq"`
	State Snapshot `json:"state"`
}

// Snapshot is engine.Snapshot on the wire.
type Snapshot struct {
	Pending         []Request `json:"pending"`
	KillSwitch      bool      `json:"kill_switch"`
	Away            bool      `json:"away"`
	Hooks           int       `json:"hooks"`
	Sessions        int       `json:"sessions"`
	Problems        []Problem `json:"problems"`
	CodeEnrolled    bool      `json:"code_enrolled"`
	Consoles        []Console `json:"consoles"`
	LastActivity    time.Time `json:"last_activity"`
	Decided         []Decided `json:"decided"`
	PhoneConfigured bool      `json:"phone_configured"`
	Phone           *Phone    `json:"phone,omitempty"` // phone.go
	// YubiKeys are the enrolled YubiKeys (a console offers Y with one).
	YubiKeys []YubiKey `json:"yubikeys,omitempty"`
	// RequireTouch is approvals.require_touch: "high", "critical", or
	// empty when off.
	RequireTouch string `json:"require_touch,omitempty"`
}

// YubiKey is an enrolled YubiKey (public facts only).
type YubiKey struct {
	DeviceID string `json:"device_id"`
	Label    string `json:"label"`
	Serial   uint32 `json:"serial"`
	NeedsPIN bool   `json:"needs_pin,omitempty"`
	Slot     string `json:"slot"`
}

// Request is a waiting request.
type Request struct {
	ID        string         `json:"id"`
	Call      wire.ToolCall  `json:"call"`
	Class     Classification `json:"class"`
	Need      string         `json:"need"` // auto, approve, approve+code, deny
	Arrived   time.Time      `json:"arrived"`
	Deadline  time.Time      `json:"deadline"`
	CodeFails int            `json:"code_fails"`
	// Touch is set while a YubiKey signs an approval of the request.
	Touch *Touch `json:"touch,omitempty"`
}

// Touch says which card signs a request's approval, since when.
type Touch struct {
	Since  time.Time `json:"since"`
	Serial uint32    `json:"serial"`
}

// Classification is the engine's classification of a call.
type Classification struct {
	Action  string `json:"action"`
	Title   string `json:"title"`
	Risk    string `json:"risk"` // low, medium, high, critical
	Target  string `json:"target"`
	Matcher string `json:"matcher"`
	// Program is the program no rule recognises, when that made the call
	// unknown: a console offers to classify it.
	Program string `json:"program,omitempty"`
}

// Problem is an error the engine shows every console.
type Problem struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// Console is an attached console.
type Console struct {
	ID       string    `json:"id"`
	Label    string    `json:"label"`
	Attached time.Time `json:"attached"`
}

// Decided is the outcome of a request that waited for a human.
type Decided struct {
	ID       string         `json:"id"`
	Class    Classification `json:"class"`
	Decision string         `json:"decision"`
	Reason   string         `json:"reason"`
	Via      string         `json:"via"`
	By       string         `json:"by"`
	At       time.Time      `json:"at"`
}

// Chain carries the ledger's newest entries and the chain's status.
type Chain struct {
	V       int          `json:"v"`
	Type    string       `json:"type"`
	Entries []ChainEntry `json:"entries"`
	Status  ChainStatus  `json:"status"`
}

// ChainEntry is one ledger entry as a console's ledger pane shows it.
type ChainEntry = live.Entry

// ChainStatus summarises the chain.
type ChainStatus = live.Status

// Decide asks the engine to approve or deny a waiting request.
type Decide struct {
	V         int    `json:"v"`
	Type      string `json:"type"`
	ID        uint64 `json:"id"` // the console's command id, echoed in the result
	RequestID string `json:"request_id"`
	Approve   bool   `json:"approve"`
	Code      string `json:"code,omitempty"` // the 6-digit code, when the request needs one
	Via       string `json:"via"`            // console (the keypad) or yubikey
	// PIN unlocks a YubiKey with PIN policy once, for this signature only.
	PIN string `json:"pin,omitempty"`
}

// Kill engages (Engage) or releases the kill switch. Releasing it in a
// hardened install needs the 6-digit code.
type Kill struct {
	V      int    `json:"v"`
	Type   string `json:"type"`
	ID     uint64 `json:"id"`
	Engage bool   `json:"engage"`
	Code   string `json:"code,omitempty"`
}

// Away marks the owner away from the consoles, or back.
type Away struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	ID   uint64 `json:"id"`
	Away bool   `json:"away"`
}

// Activity says a person pressed a key at the console.
type Activity struct {
	V    int    `json:"v"`
	Type string `json:"type"`
}

// Reverify asks for a whole-chain re-verification.
type Reverify struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	ID   uint64 `json:"id"`
}

// Stats asks for the figures of what the engine has been deciding; the
// result carries them.
type Stats struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	ID   uint64 `json:"id"`
}

// Progress reports a re-verification's progress.
type Progress struct {
	V     int    `json:"v"`
	Type  string `json:"type"`
	ID    uint64 `json:"id"`
	Done  uint64 `json:"done"`
	Total uint64 `json:"total"`
}

// Result is the outcome of a command. Error is empty on success.
type Result struct {
	V     int    `json:"v"`
	Type  string `json:"type"`
	ID    uint64 `json:"id"`
	Error *Error `json:"error,omitempty"`
	// Status is the chain's status after a re-verification.
	Status *ChainStatus `json:"status,omitempty"`
	// Stats are the figures a stats command asked for.
	Stats *stats.Summary `json:"stats,omitempty"`
	// Answer is the standing answer a remember gave or a forget removed.
	Answer *Answer `json:"answer,omitempty"`
	// Answers are the standing answers an answers command asked for.
	Answers *[]Answer `json:"answers,omitempty"`
	// Rules are the overlay's rules an answers command asked for.
	Rules *[]Rule `json:"rules,omitempty"`
	// Rule is the overlay rule a classify added or a forget removed.
	Rule *Rule `json:"rule,omitempty"`
}

// Error is why a command failed: a code a console acts on, and the message
// to show.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeNotPending   = "not_pending"   // the request is no longer waiting
	CodeCodeRequired = "code_required" // approving it needs the 6-digit code
	// CodeFactorRequired: a system install refuses an approval with
	// nothing but a keypress; with the code it is an approval.
	CodeFactorRequired = "factor_required"
	CodeBadCode        = "bad_code"       // the code was wrong
	CodeKillSwitch     = "kill_switch"    // the kill switch is engaged
	CodeTouchNeeded    = "touch_needed"   // the keypad alone cannot approve it (approvals.require_touch)
	CodeTouchFailed    = "touch_failed"   // the YubiKey did not sign; the request still waits
	CodeTouchDenied    = "touch_denied"   // the YubiKey did not sign, and the request was denied meanwhile
	CodeReleaseTouch   = "release_touch"  // releasing the kill switch needs a valid YubiKey touch (approvals.require_touch); it stays engaged
	CodeProtected      = "protected"      // the action can never be remembered (Ony's own files, hook configuration)
	CodeUnknownAnswer  = "unknown_answer" // no standing answer has that id
	CodeFailed         = "failed"         // anything else
)

// Refusal closes a connection the engine will not serve.
type Refusal struct {
	V       int    `json:"v"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// FromSnapshot converts the engine's state for the wire.
func FromSnapshot(s engine.Snapshot) Snapshot {
	out := Snapshot{KillSwitch: s.KillSwitch, Away: s.Away, Hooks: s.Conns, Sessions: s.Sessions,
		CodeEnrolled: s.CodeEnrolled, LastActivity: s.LastActivity, PhoneConfigured: s.PhoneConfigured,
		Phone: fromPhone(s.Phone), Pending: make([]Request, 0, len(s.Pending))}
	for _, r := range s.Pending {
		call := r.Call
		call.Command = shown(call.Command)
		w := Request{ID: r.ID, Call: call, Class: fromClass(r.Class), Need: r.Need.String(),
			Arrived: r.Arrived, Deadline: r.Deadline, CodeFails: r.CodeFails}
		if r.Touching {
			w.Touch = &Touch{Since: r.TouchSince, Serial: r.TouchSerial}
		}
		out.Pending = append(out.Pending, w)
	}
	for _, k := range s.YubiKeys {
		out.YubiKeys = append(out.YubiKeys, YubiKey{DeviceID: k.DeviceID, Label: k.Label, Serial: k.Serial, NeedsPIN: k.NeedsPIN, Slot: k.Slot})
	}
	if s.RequireTouch.Valid() {
		out.RequireTouch = s.RequireTouch.String()
	}
	for _, p := range s.Problems {
		out.Problems = append(out.Problems, Problem{Time: p.Time, Message: p.Message})
	}
	for _, c := range s.Consoles {
		out.Consoles = append(out.Consoles, Console{ID: c.ID, Label: c.Label, Attached: c.Attached})
	}
	for _, d := range s.Decided {
		out.Decided = append(out.Decided, Decided{ID: d.ID, Class: fromClass(d.Class), Decision: d.Decision,
			Reason: d.Reason, Via: string(d.Via), By: d.By, At: d.At})
	}
	return out
}

// shown cuts a command to MaxCommandShown bytes on a rune boundary and says
// how much was left out.
func shown(cmd string) string {
	if len(cmd) <= MaxCommandShown {
		return cmd
	}
	n := MaxCommandShown
	for n > 0 && cmd[n]&0xC0 == 0x80 {
		n--
	}
	return cmd[:n] + "\n[… " + strconv.Itoa(len(cmd)-n) + " more bytes of this command are not shown on an attached console]"
}

func fromClass(c engine.Classification) Classification {
	return Classification{Action: c.Action, Title: c.Title, Risk: c.Risk.OrCritical().String(), Target: c.Target, Matcher: c.Matcher, Program: c.Program}
}

// ToSnapshot converts a state received from the engine. A risk or a need
// the console does not know is shown as critical, needing the most.
func ToSnapshot(s Snapshot) engine.Snapshot {
	out := engine.Snapshot{KillSwitch: s.KillSwitch, Away: s.Away, Conns: s.Hooks, Sessions: s.Sessions,
		CodeEnrolled: s.CodeEnrolled, LastActivity: s.LastActivity, PhoneConfigured: s.PhoneConfigured,
		Phone: toPhone(s.Phone, s.PhoneConfigured), Pending: make([]engine.Request, 0, len(s.Pending))}
	for _, r := range s.Pending {
		need, err := config.ParseRequirement(r.Need)
		if err != nil {
			need = config.ApproveCode
		}
		er := engine.Request{ID: r.ID, Call: r.Call, Class: toClass(r.Class), Need: need,
			Arrived: r.Arrived, Deadline: r.Deadline, CodeFails: r.CodeFails}
		if r.Touch != nil {
			er.Touching, er.TouchSince, er.TouchSerial = true, r.Touch.Since, r.Touch.Serial
		}
		out.Pending = append(out.Pending, er)
	}
	for _, k := range s.YubiKeys {
		out.YubiKeys = append(out.YubiKeys, engine.YubiKey{DeviceID: k.DeviceID, Label: k.Label, Serial: k.Serial, NeedsPIN: k.NeedsPIN, Slot: k.Slot})
	}
	if s.RequireTouch != "" {
		// A level this console does not know asks for the touch on everything.
		out.RequireTouch, _ = risk.Parse(s.RequireTouch)
		if !out.RequireTouch.Valid() {
			out.RequireTouch = risk.Low
		}
	}
	for _, p := range s.Problems {
		out.Problems = append(out.Problems, engine.Problem{Time: p.Time, Message: p.Message})
	}
	for _, c := range s.Consoles {
		out.Consoles = append(out.Consoles, engine.Console{ID: c.ID, Label: c.Label, Attached: c.Attached})
	}
	for _, d := range s.Decided {
		out.Decided = append(out.Decided, engine.Decided{ID: d.ID, Class: toClass(d.Class), Decision: d.Decision,
			Reason: d.Reason, Via: device.Kind(d.Via), By: d.By, At: d.At})
	}
	return out
}

func toClass(c Classification) engine.Classification {
	r, err := risk.Parse(c.Risk)
	if err != nil {
		r = risk.Critical
	}
	return engine.Classification{Action: c.Action, Title: c.Title, Risk: r, Target: c.Target, Matcher: c.Matcher, Program: c.Program}
}
