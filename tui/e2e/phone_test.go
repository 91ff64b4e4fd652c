package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/phone/relayfake"
	"github.com/ony-dev/ony-tui/engine/totp"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// The phone channel end to end: the real binary in tmux, real hooks, and a
// local fake of SignalWire's RELAY service (the one edge faked) answering
// as the owner's phone.

const (
	swProject = "4a3d1f2e-0000-4000-8000-00000000c0de"
	swToken   = "PT0123456789abcdefSECRETTOKEN"
	ownerNum  = "+14155550123"
	fromNum   = "+14155550199"
)

var digitRE = regexp.MustCompile(`Press ([1-9])\.`)

// phoneFake starts the fake with a callee that proves the enrolment by
// pressing the digit it hears.
func phoneFake(t *testing.T) *relayfake.Server {
	t.Helper()
	srv := relayfake.New(t, relayfake.Options{Project: swProject, Token: swToken})
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		if m := digitRE.FindStringSubmatch(p.Text); m != nil {
			return relayfake.Reply{Digits: m[1]}
		}
		return relayfake.Reply{}
	}})
	return srv
}

// enrollPhone runs `ony-tui enroll phone` in a terminal like a person:
// the token is typed at the prompt and must not show. It returns the
// phone device's id.
func enrollPhone(t *testing.T, home string, srv *relayfake.Server) string {
	t.Helper()
	tm := e2e.StartTerm(t, 120, 40, nil, bin, "enroll", "phone", "--home", home, "--space", "example", "--project", swProject,
		"--from", fromNum, "--to", ownerNum, "--relay-url", srv.URL)
	tm.WaitFor(10*time.Second, "API token (not shown):")
	tm.Text(swToken)
	tm.Keys("Enter")
	tm.WaitFor(10*time.Second, "Language of the voice")
	tm.Keys("Enter")
	s := tm.WaitFor(20*time.Second, "Enrolled dev_")
	if strings.Contains(s, swToken) {
		t.Fatalf("the token shows on the screen:\n%s", s)
	}
	if !strings.Contains(s, "+14*******23") || strings.Contains(s, ownerNum) {
		t.Fatalf("the owner's number is not masked:\n%s", s)
	}
	id := regexp.MustCompile(`Enrolled (dev_[0-9a-f]{8})`).FindStringSubmatch(s)[1]
	fi, err := os.Stat(filepath.Join(home, "state", "keys", "phone.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(filepath.Join(home, "state", "devices.json"))
	if strings.Contains(string(b), swToken) {
		t.Fatal("the registry holds the token")
	}
	if d := srv.Dials(); len(d) != 1 || d[0].To != ownerNum {
		t.Fatalf("the enrolment call: %+v", d)
	}
	return id
}

func writeConfig(t *testing.T, home, yaml string) {
	t.Helper()
	e2e.WriteFile(t, filepath.Join(home, "config", "config.yaml"), yaml)
}

// logEntry is one line of `ony-tui log --json`.
type logEntry struct {
	Seq       uint64 `json:"seq"`
	Kind      string `json:"kind"`
	RequestID string `json:"request_id"`
	Decision  string `json:"decision"`
	DeviceID  string `json:"device_id"`
	Detail    string `json:"detail"`
	Action    string `json:"action"`
}

func ledgerEntries(t *testing.T, home string) []logEntry {
	t.Helper()
	res := e2e.Run(t, bin, e2e.Cmd{Args: []string{"log", "--json", "--home", home, "--limit", "1000"}})
	out := res.Stdout
	if res.Code != 0 {
		t.Fatalf("log: %d %s", res.Code, res.Stderr)
	}
	var es []logEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		es = append(es, e)
	}
	if strings.Contains(out, swToken) || strings.Contains(out, ownerNum) {
		t.Fatal("the ledger holds the token or the owner's full number")
	}
	return es
}

// verdictFor returns the verdict entry of the last request for action.
func verdictFor(t *testing.T, home, action string) logEntry {
	t.Helper()
	var v logEntry
	for _, e := range ledgerEntries(t, home) {
		if e.Kind == "verdict" && e.Action == action {
			v = e
		}
	}
	if v.Seq == 0 {
		t.Fatalf("no verdict for %s", action)
	}
	return v
}

// phoneConsole enrols the phone, writes the config and starts the console.
func phoneConsole(t *testing.T, config string) (string, *relayfake.Server, string, *e2e.Term) {
	t.Helper()
	home := e2e.NewHome(t, "")
	srv := phoneFake(t)
	dev := enrollPhone(t, home, srv)
	writeConfig(t, home, config)
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	return home, srv, dev, tm
}

func TestPhoneAwayApprovesWithThePhoneDevice(t *testing.T) {
	home, srv, dev, tm := phoneConsole(t, "phone:\n  min_gap: 0s\n")
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: relayfake.Presses("1")})
	tm.Keys("w")
	tm.WaitFor(5*time.Second, "AWAY: phone takes over")
	const secret = "9f8e7d6c5b4a3210SECRETX"
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build-sk_live_"+secret)
	r := e2e.Wait(t, ch, 60*time.Second)
	if !e2e.Allowed(r) {
		t.Fatalf("hook: %+v\n%s", r, tm.Screen())
	}
	d := srv.Dials()
	if len(d) != 2 || d[1].To != ownerNum || d[1].From != fromNum {
		t.Fatalf("dials %+v", d)
	}
	ps := srv.Prompts()
	last := ps[len(ps)-1].Text
	if !strings.Contains(last, "delete a directory tree") || !strings.Contains(last, "High risk") {
		t.Fatalf("prompt %q", last)
	}
	for _, f := range srv.Frames() {
		if strings.Contains(string(f), "rm -rf") || strings.Contains(string(f), secret) {
			t.Fatalf("a frame sent to SignalWire holds the raw command or the secret: %s", f)
		}
	}
	if v := verdictFor(t, home, "fs.delete.recursive"); v.Decision != "approve" || v.DeviceID != dev {
		t.Fatalf("verdict %+v, want an approval by the phone device %s", v, dev)
	}
	tm.WaitFor(5*time.Second, "call ended: completed")
	if s := tm.Screen(); strings.Contains(s, swToken) {
		t.Fatalf("the token shows on the console:\n%s", s)
	}
}

func TestPhoneCriticalNeedsTheCode(t *testing.T) {
	home := e2e.NewHome(t, "")
	secret, enrolStep := enroll(t, home)
	srv := phoneFake(t)
	dev := enrollPhone(t, home, srv)
	writeConfig(t, home, "phone:\n  min_gap: 0s\n")
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "code device enrolled")
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: func(p relayfake.Prompt) relayfake.Reply {
		if p.N == 0 {
			return relayfake.Reply{Digits: "1"}
		}
		step := totp.Step(time.Now())
		if step <= enrolStep {
			step = enrolStep + 1
		}
		code, _ := totp.Code(secret, time.Unix(int64(step)*30, 0))
		return relayfake.Reply{Digits: code + "#"}
	}})
	tm.Keys("w")
	tm.WaitFor(5*time.Second, "AWAY: phone takes over")
	r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "kubectl --context production apply -f deploy.yaml"), 60*time.Second)
	if !e2e.Allowed(r) {
		t.Fatalf("hook: %+v\n%s", r, tm.Screen())
	}
	if v := verdictFor(t, home, "deploy.production"); v.Decision != "approve" || v.DeviceID != dev {
		t.Fatalf("verdict %+v", v)
	}
	ps := srv.Prompts()
	if len(ps) < 2 || ps[len(ps)-1].Max != 6 || !strings.Contains(ps[len(ps)-1].Text, "6-digit code") {
		t.Fatalf("prompts %+v", ps)
	}
}

func TestPhoneNoAnswerApprovesNothing(t *testing.T) {
	home, srv, _, tm := phoneConsole(t, "phone:\n  min_gap: 0s\n  on_failure: deny\n")
	srv.SetCallee(ownerNum, relayfake.Callee{Pickup: relayfake.NoAnswer})
	tm.Keys("w")
	tm.WaitFor(5*time.Second, "AWAY: phone takes over")
	r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "rm -rf ./build"), 60*time.Second)
	if e2e.Allowed(r) || !strings.Contains(r.Stdout, "no answer") {
		t.Fatalf("hook after an unanswered call: %+v", r)
	}
	tm.WaitFor(5*time.Second, "call ended: no answer")
	found := false
	for _, e := range ledgerEntries(t, home) {
		found = found || (e.Kind == "phone-failed" && strings.Contains(e.Detail, "no answer"))
	}
	if !found {
		t.Fatal("no phone-failed entry")
	}
}

func TestPhoneConsoleAnswersFirst(t *testing.T) {
	home, srv, dev, tm := phoneConsole(t, "phone:\n  min_gap: 0s\n")
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: func(relayfake.Prompt) relayfake.Reply {
		return relayfake.Reply{Digits: "2", Delay: 20 * time.Second} // still listening
	}})
	tm.Keys("w")
	tm.WaitFor(5*time.Second, "AWAY: phone takes over")
	ch := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	deadline := time.Now().Add(15 * time.Second)
	for len(srv.Prompts()) < 2 && time.Now().Before(deadline) { // the enrolment's and this one
		time.Sleep(20 * time.Millisecond)
	}
	tm.WaitFor(5*time.Second, "call answered", "being asked about it now")
	tm.Keys("A")
	if r := e2e.Wait(t, ch, 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("hook: %+v", r)
	}
	if v := verdictFor(t, home, "fs.delete.recursive"); v.DeviceID == dev || v.Decision != "approve" {
		t.Fatalf("verdict %+v: the console's answer must win", v)
	}
	tm.WaitFor(10*time.Second, "call ended: completed")
	says := strings.Join(srv.Says(), " | ")
	if !strings.Contains(says, "answered at the console") {
		t.Fatalf("the call was not told: %q", says)
	}
	if e := srv.Ends(); len(e) != 2 { // the enrolment's call and this one
		t.Fatalf("ends %v", e)
	}
}

func TestPhoneTwoRequestsInOneCall(t *testing.T) {
	home, srv, dev, tm := phoneConsole(t, "phone:\n  min_gap: 0s\n")
	srv.SetCallee(ownerNum, relayfake.Callee{RingFor: 2 * time.Second, Keys: relayfake.Presses("1", "2")})
	tm.Keys("w")
	tm.WaitFor(5*time.Second, "AWAY: phone takes over")
	first := e2e.HookAsync(t, bin, home, "rm -rf ./build")
	tm.WaitFor(10*time.Second, "ringing +14*******23")
	second := e2e.HookAsync(t, bin, home, "git reset --hard HEAD~3")
	if r := e2e.Wait(t, first, 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("first: %+v", r)
	}
	if r := e2e.Wait(t, second, 60*time.Second); e2e.Allowed(r) || !strings.Contains(r.Stdout, "denied by owner on the phone") {
		t.Fatalf("second: %+v", r)
	}
	if n := len(srv.Dials()); n != 2 { // the enrolment's call and one call for both
		t.Fatalf("%d dials", n)
	}
	ps := srv.Prompts()
	if !strings.HasPrefix(ps[len(ps)-2].Text, "This is Ony. 2 requests waiting. First: ") {
		t.Fatalf("prompt %q", ps[len(ps)-2].Text)
	}
	if v := verdictFor(t, home, "git.history.rewrite"); v.DeviceID != dev || v.Decision != "deny" {
		t.Fatalf("verdict %+v", v)
	}
}

func TestPhoneTestCallAndDoctor(t *testing.T) {
	home := e2e.NewHome(t, "")
	srv := phoneFake(t)
	enrollPhone(t, home, srv)
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: relayfake.Presses("5")})
	tm := e2e.StartTerm(t, 100, 20, nil, bin, "phone", "test", "--home", home)
	s := tm.WaitFor(15*time.Second, "Test call: answered, a key was pressed.")
	if strings.Contains(s, swToken) {
		t.Fatal("the token shows")
	}
	out := e2e.Run(t, bin, e2e.Cmd{Args: []string{"doctor", "--home", home}}).Stdout
	if !regexp.MustCompile(`ok\s+phone\s+SignalWire space example accepted the credentials; calls \+14\*{7}23`).MatchString(out) {
		t.Fatalf("doctor:\n%s", out)
	}
	srv.RefuseAuth(true)
	res := e2e.Run(t, bin, e2e.Cmd{Args: []string{"doctor", "--home", home}})
	out, code := res.Stdout, res.Code
	if code != 1 || !regexp.MustCompile(`FAIL\s+phone\s+SignalWire: .*refused`).MatchString(out) {
		t.Fatalf("doctor with refused credentials: %d\n%s", code, out)
	}
	if strings.Contains(out, swToken) {
		t.Fatalf("doctor shows the token:\n%s", out)
	}
}

// The engine runs as a service with no screen: with no console attached,
// a high request calls at once. A console that attaches from another
// terminal shows the call, and `ony-tui away on` from a third one hands
// the next request to the phone although a console is attached.
func TestPhoneWithTheEngineAsAService(t *testing.T) {
	home := e2e.NewHome(t, "")
	srv := phoneFake(t)
	dev := enrollPhone(t, home, srv)
	writeConfig(t, home, "phone:\n  min_gap: 0s\n")
	s := e2e.Serve(t, bin, home)
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: relayfake.Presses("1")})

	// No console attached: the phone is called at once.
	if r := e2e.Wait(t, e2e.HookAsync(t, bin, home, "rm -rf ./build"), 60*time.Second); !e2e.Allowed(r) {
		t.Fatalf("hook with no console attached: %+v\n%s", r, s.Stderr())
	}
	if v := verdictFor(t, home, "fs.delete.recursive"); v.DeviceID != dev {
		t.Fatalf("verdict %+v", v)
	}

	// A console attaches: the next request waits for it (phone.after is
	// 60 s) until the owner says they are away from another terminal.
	tm := e2e.StartTerm(t, 110, 32, []string{"NO_COLOR=1"}, bin, "--home", home)
	tm.WaitFor(15*time.Second, "ONY", "kill switch off")
	srv.SetCallee(ownerNum, relayfake.Callee{Keys: func(relayfake.Prompt) relayfake.Reply {
		return relayfake.Reply{Digits: "2", Delay: 1500 * time.Millisecond}
	}})
	ch := e2e.HookAsync(t, bin, home, "git reset --hard HEAD~3")
	tm.WaitFor(10*time.Second, "HEAD~3")
	time.Sleep(500 * time.Millisecond)
	if n := len(srv.Dials()); n != 2 {
		t.Fatalf("called with a console attached and nobody away (%d dials)", n)
	}
	out := e2e.Run(t, bin, e2e.Cmd{Args: []string{"away", "on", "--home", home}})
	if out.Code != 0 || !strings.Contains(out.Stdout, "away: requests that need you go to the phone") {
		t.Fatalf("away on: %+v", out)
	}
	tm.WaitFor(10*time.Second, "AWAY: phone takes over", "☎ call answered", "the owner is being asked about it now")
	if r := e2e.Wait(t, ch, 60*time.Second); e2e.Allowed(r) || !strings.Contains(r.Stdout, "denied by owner on the phone") {
		t.Fatalf("hook after the phone denied: %+v", r)
	}
	tm.WaitFor(10*time.Second, "call ended: completed")
	if strings.Contains(s.Stderr(), swToken) {
		t.Fatalf("the service's log shows the token:\n%s", s.Stderr())
	}
}
