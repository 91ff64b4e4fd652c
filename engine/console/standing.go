package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// Standing answers over the console socket (issue 17): remember (the
// console's R), the list, and forget.

// Remember approves a waiting request and keeps the approval as a standing
// answer for its agent session; the result carries the answer.
type Remember struct {
	V         int    `json:"v"`
	Type      string `json:"type"`
	ID        uint64 `json:"id"`
	RequestID string `json:"request_id"`
	Scope     string `json:"scope"` // call or target
	Code      string `json:"code,omitempty"`
	Via       string `json:"via"` // console (the keypad) or yubikey
	PIN       string `json:"pin,omitempty"`
}

// Answers asks for the standing answers the engine holds; the result
// carries them.
type Answers struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	ID   uint64 `json:"id"`
}

// Classify approves a waiting request whose program no rule recognises,
// with the code, and classifies the program in the overlay; the result
// carries the rule.
type Classify struct {
	V         int    `json:"v"`
	Type      string `json:"type"`
	ID        uint64 `json:"id"`
	RequestID string `json:"request_id"`
	Risk      string `json:"risk"` // low, medium or high
	Title     string `json:"title"`
	Code      string `json:"code,omitempty"`
	Via       string `json:"via"`
	PIN       string `json:"pin,omitempty"`
}

// Rule is an overlay rule on the wire.
type Rule struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Risk     string   `json:"risk"`
	Programs []string `json:"programs"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Comment  string   `json:"comment"`
}

func fromRule(r engine.OverlayRule) Rule {
	p := r.Programs
	if p == nil {
		p = []string{}
	}
	return Rule{ID: r.ID, Title: r.Title, Risk: r.Risk.OrCritical().String(), Programs: p, File: r.File, Line: r.Line, Comment: r.Comment}
}

func toRule(r *Rule) (engine.OverlayRule, error) {
	lv, err := risk.Parse(r.Risk)
	if err != nil || lv > risk.High || r.ID == "" || r.Line < 0 {
		return engine.OverlayRule{}, fmt.Errorf("the engine sent an overlay rule %q this console cannot take", r.ID)
	}
	return engine.OverlayRule{ID: r.ID, Title: r.Title, Risk: lv, Programs: r.Programs, File: r.File, Line: r.Line, Comment: r.Comment}, nil
}

// Forget removes one standing answer (an id a-…) or overlay rule (an id
// owner.…); the result carries it.
type Forget struct {
	V        int    `json:"v"`
	Type     string `json:"type"`
	ID       uint64 `json:"id"`
	AnswerID string `json:"answer_id"`
}

// Answer is a standing answer on the wire. No command: the call is named
// by its tool and input digest.
type Answer struct {
	ID          string    `json:"id"`
	Scope       string    `json:"scope"`
	Harness     string    `json:"harness"`
	Session     string    `json:"session"`
	Tool        string    `json:"tool,omitempty"`
	InputDigest string    `json:"input_digest,omitempty"`
	Action      string    `json:"action"`
	Target      string    `json:"target"`
	Risk        string    `json:"risk"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	RequestID   string    `json:"request_id"`
	Factors     []string  `json:"factors"`
	Uses        int       `json:"uses"`
}

// MaxAnswers is the most answers a result may carry.
const MaxAnswers = engine.MaxStandingAnswers

func fromAnswer(a engine.StandingAnswer) Answer {
	f := a.Factors
	if f == nil {
		f = []string{}
	}
	return Answer{ID: a.ID, Scope: a.Scope.String(), Harness: a.Harness, Session: a.Session, Tool: a.Tool, InputDigest: a.InputDigest,
		Action: a.Action, Target: a.Target, Risk: a.Risk.OrCritical().String(), At: a.At, By: a.By, RequestID: a.RequestID, Factors: f, Uses: a.Uses}
}

// toAnswer checks an answer the engine sent: a scope and a risk this
// console knows, and an id.
func toAnswer(a *Answer) (engine.StandingAnswer, error) {
	scope, err := engine.ParseScope(a.Scope)
	if err != nil {
		return engine.StandingAnswer{}, fmt.Errorf("the engine's answer %q: %w", a.ID, err)
	}
	r, err := risk.Parse(a.Risk)
	if err != nil {
		return engine.StandingAnswer{}, fmt.Errorf("the engine's answer %q: %w", a.ID, err)
	}
	if a.ID == "" || a.Uses < 0 {
		return engine.StandingAnswer{}, errors.New("the engine sent an answer without an id")
	}
	return engine.StandingAnswer{ID: a.ID, Scope: scope, Harness: a.Harness, Session: a.Session, Tool: a.Tool, InputDigest: a.InputDigest,
		Action: a.Action, Target: a.Target, Risk: r, At: a.At, By: a.By, RequestID: a.RequestID, Factors: a.Factors, Uses: a.Uses}, nil
}

// standingCommand runs remember, answers and forget; ok is false for any
// other type.
func (ss *session) standingCommand(typ string, body []byte) (handled, ok bool) {
	eng := ss.srv.eng
	switch typ {
	case TypeRemember:
		var q Remember
		if err := decodeAs(TypeRemember, body, &q, &q.V, &q.Type); err != nil {
			return true, ss.refuse(err)
		}
		via := device.Kind(q.Via)
		if via != device.KindConsole && via != device.KindYubiKey {
			return true, ss.result(q.ID, fmt.Errorf("a console remembers with the keypad or a YubiKey, not %q", q.Via), nil)
		}
		scope, err := engine.ParseScope(q.Scope)
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		a, err := eng.Remember(ss.ctx, q.RequestID, scope, engine.Approval{Approve: true, Via: via, Code: q.Code, PIN: q.PIN, By: ss.label})
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		w := fromAnswer(a)
		return true, ss.resultWith(Result{V: Version, Type: TypeResult, ID: q.ID, Answer: &w})
	case TypeAnswers:
		var q Answers
		if err := decodeAs(TypeAnswers, body, &q, &q.V, &q.Type); err != nil {
			return true, ss.refuse(err)
		}
		as, err := eng.StandingAnswers(ss.ctx)
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		out := make([]Answer, 0, len(as))
		for _, a := range as {
			out = append(out, fromAnswer(a))
		}
		rs, err := eng.OverlayRules(ss.ctx)
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		rules := make([]Rule, 0, len(rs))
		for _, r := range rs {
			rules = append(rules, fromRule(r))
		}
		return true, ss.resultWith(Result{V: Version, Type: TypeResult, ID: q.ID, Answers: &out, Rules: &rules})
	case TypeForget:
		var q Forget
		if err := decodeAs(TypeForget, body, &q, &q.V, &q.Type); err != nil {
			return true, ss.refuse(err)
		}
		if strings.HasPrefix(q.AnswerID, taxonomyPrefix) {
			r, err := eng.ForgetRule(ss.ctx, q.AnswerID)
			if err != nil {
				return true, ss.result(q.ID, err, nil)
			}
			w := fromRule(r)
			return true, ss.resultWith(Result{V: Version, Type: TypeResult, ID: q.ID, Rule: &w})
		}
		a, err := eng.Forget(ss.ctx, q.AnswerID)
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		w := fromAnswer(a)
		return true, ss.resultWith(Result{V: Version, Type: TypeResult, ID: q.ID, Answer: &w})
	case TypeClassify:
		var q Classify
		if err := decodeAs(TypeClassify, body, &q, &q.V, &q.Type); err != nil {
			return true, ss.refuse(err)
		}
		via := device.Kind(q.Via)
		if via != device.KindConsole && via != device.KindYubiKey {
			return true, ss.result(q.ID, fmt.Errorf("a console classifies with the keypad or a YubiKey, not %q", q.Via), nil)
		}
		lv, err := risk.Parse(q.Risk)
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		r, err := eng.ClassifyProgram(ss.ctx, q.RequestID, lv, q.Title, engine.Approval{Approve: true, Via: via, Code: q.Code, PIN: q.PIN, By: ss.label})
		if err != nil {
			return true, ss.result(q.ID, err, nil)
		}
		w := fromRule(r)
		return true, ss.resultWith(Result{V: Version, Type: TypeResult, ID: q.ID, Rule: &w})
	}
	return false, false
}

// resultWith sends a successful result with its payload, after the state.
func (ss *session) resultWith(r Result) bool {
	ss.sendState()
	ss.send(r)
	return true
}

// Remember approves a waiting request at the engine and keeps the approval
// as a standing answer (the console's R). It counts as given at this
// console (its label); a.By is ignored.
func (c *Client) Remember(ctx context.Context, id string, scope engine.Scope, a engine.Approval) (engine.StandingAnswer, error) {
	via := a.Via
	if via == "" {
		via = device.KindConsole
	}
	r, err := c.call(ctx, func(n uint64) any {
		return Remember{V: Version, Type: TypeRemember, ID: n, RequestID: id, Scope: scope.String(), Code: a.Code, Via: string(via), PIN: a.PIN}
	}, nil)
	if err != nil {
		return engine.StandingAnswer{}, err
	}
	return oneAnswer(r)
}

// StandingAnswers lists the standing answers the engine holds.
func (c *Client) StandingAnswers(ctx context.Context) ([]engine.StandingAnswer, error) {
	as, _, err := c.Remembered(ctx)
	return as, err
}

// OverlayRules lists the overlay's rules the engine classifies with.
func (c *Client) OverlayRules(ctx context.Context) ([]engine.OverlayRule, error) {
	_, rs, err := c.Remembered(ctx)
	return rs, err
}

// Remembered lists the standing answers and the overlay's rules.
func (c *Client) Remembered(ctx context.Context) ([]engine.StandingAnswer, []engine.OverlayRule, error) {
	r, err := c.call(ctx, func(n uint64) any { return Answers{V: Version, Type: TypeAnswers, ID: n} }, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := resultErr(r); err != nil {
		return nil, nil, err
	}
	if r.Rules == nil || len(*r.Rules) > MaxRules {
		return nil, nil, errors.New("the engine sent no list of overlay rules, or too long a one")
	}
	rules := make([]engine.OverlayRule, 0, len(*r.Rules))
	for i := range *r.Rules {
		x, err := toRule(&(*r.Rules)[i])
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, x)
	}
	as, err := answersOf(r)
	return as, rules, err
}

// MaxRules is the most overlay rules a result may carry.
const MaxRules = 10000

// taxonomyPrefix starts the id of an overlay rule (taxonomy.OverlayPrefix).
const taxonomyPrefix = "owner."

// ClassifyProgram approves a waiting request and classifies its unknown
// program in the engine's overlay.
func (c *Client) ClassifyProgram(ctx context.Context, id string, lv risk.Level, title string, a engine.Approval) (engine.OverlayRule, error) {
	via := a.Via
	if via == "" {
		via = device.KindConsole
	}
	r, err := c.call(ctx, func(n uint64) any {
		return Classify{V: Version, Type: TypeClassify, ID: n, RequestID: id, Risk: lv.String(), Title: title, Code: a.Code, Via: string(via), PIN: a.PIN}
	}, nil)
	if err != nil {
		return engine.OverlayRule{}, err
	}
	return oneRule(r)
}

// ForgetRule removes an overlay rule at the engine.
func (c *Client) ForgetRule(ctx context.Context, id string) (engine.OverlayRule, error) {
	r, err := c.call(ctx, func(n uint64) any { return Forget{V: Version, Type: TypeForget, ID: n, AnswerID: id} }, nil)
	if err != nil {
		return engine.OverlayRule{}, err
	}
	return oneRule(r)
}

func oneRule(r Result) (engine.OverlayRule, error) {
	if err := resultErr(r); err != nil {
		return engine.OverlayRule{}, err
	}
	if r.Rule == nil {
		return engine.OverlayRule{}, errors.New("the engine sent no rule")
	}
	return toRule(r.Rule)
}

func answersOf(r Result) ([]engine.StandingAnswer, error) {
	if r.Answers == nil || len(*r.Answers) > MaxAnswers {
		return nil, errors.New("the engine sent no list of answers, or too long a one")
	}
	out := make([]engine.StandingAnswer, 0, len(*r.Answers))
	for i := range *r.Answers {
		a, err := toAnswer(&(*r.Answers)[i])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Forget removes one standing answer at the engine.
func (c *Client) Forget(ctx context.Context, id string) (engine.StandingAnswer, error) {
	r, err := c.call(ctx, func(n uint64) any { return Forget{V: Version, Type: TypeForget, ID: n, AnswerID: id} }, nil)
	if err != nil {
		return engine.StandingAnswer{}, err
	}
	return oneAnswer(r)
}

func oneAnswer(r Result) (engine.StandingAnswer, error) {
	if err := resultErr(r); err != nil {
		return engine.StandingAnswer{}, err
	}
	if r.Answer == nil {
		return engine.StandingAnswer{}, errors.New("the engine sent no answer")
	}
	return toAnswer(r.Answer)
}
