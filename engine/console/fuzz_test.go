package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// decodeAny decodes a frame body as the message its envelope names, as
// the engine and the console do. It returns the decoded message or an
// error; it must never panic.
func decodeAny(body []byte) (any, error) {
	var frame bytes.Buffer
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(body)))
	frame.Write(hdr[:])
	frame.Write(body)
	typ, b, err := readMsg(&frame)
	if err != nil {
		return nil, err
	}
	switch typ {
	case TypeHello:
		var m Hello
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeWelcome:
		var m Welcome
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeState:
		var m State
		err := decodeAs(typ, b, &m, &m.V, &m.Type)
		if err == nil {
			_ = ToSnapshot(m.State) // unknown risks and needs become critical, never a panic
		}
		return &m, err
	case TypeChain:
		var m Chain
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeDecide:
		var m Decide
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeKill:
		var m Kill
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeAway:
		var m Away
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeActivity:
		var m Activity
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeReverify:
		var m Reverify
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeProgress:
		var m Progress
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeResult:
		var m Result
		err := decodeAs(typ, b, &m, &m.V, &m.Type)
		if err == nil && m.Stats != nil {
			_ = m.Stats.Check() // figures that cannot be are refused, never a panic
		}
		if err == nil && m.Answer != nil {
			_, _ = toAnswer(m.Answer) // unknown scopes and risks are refused, never a panic
		}
		if err == nil && m.Rule != nil {
			_, _ = toRule(m.Rule)
		}
		if err == nil && m.Rules != nil {
			_, _ = answersOf(m)
		}
		return &m, err
	case TypeRemember:
		var m Remember
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeAnswers:
		var m Answers
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeForget:
		var m Forget
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeClassify:
		var m Classify
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	case TypeStats:
		var m Stats
		return &m, decodeAs(typ, b, &m, &m.V, &m.Type)
	}
	return nil, nil
}

// FuzzMessages feeds arbitrary frame bodies to the decoders of both sides.
func FuzzMessages(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"hello","label":"pts/3","build":"dev"}`,
		`{"v":1,"type":"decide","id":7,"request_id":"req_0123456789ab","approve":true,"code":"123456","via":"console"}`,
		`{"v":1,"type":"kill","id":1,"engage":true}`,
		`{"v":1,"type":"away","id":2,"away":false}`,
		`{"v":1,"type":"activity"}`,
		`{"v":1,"type":"reverify","id":3}`,
		`{"v":1,"type":"state","seq":4,"state":{"pending":[{"id":"req_1","call":{"harness":"claude","event":"PreToolUse","tool_name":"Bash","kind":"shell","input_digest":"x"},"class":{"action":"a","title":"t","risk":"severe","target":"","matcher":""},"need":"whatever","arrived":"2026-12-06T10:00:00Z","deadline":"2026-12-06T10:02:00Z","code_fails":0}],"kill_switch":false,"away":false,"hooks":1,"sessions":1,"problems":null,"code_enrolled":true,"consoles":null,"last_activity":"0001-01-01T00:00:00Z","decided":null,"phone_configured":false}}`,
		`{"v":1,"type":"result","id":7,"error":{"code":"bad_code","message":"wrong code"}}`,
		`{"v":1,"type":"stats","id":11}`,
		`{"v":1,"type":"remember","id":12,"request_id":"req_0123456789ab","scope":"target","code":"123456","via":"console"}`,
		`{"v":1,"type":"answers","id":13}`,
		`{"v":1,"type":"classify","id":15,"request_id":"req_0123456789ab","risk":"medium","title":"Run webctl","code":"123456","via":"console"}`,
		`{"v":1,"type":"result","id":15,"rule":{"id":"owner.webctl","title":"Run webctl","risk":"medium","programs":["webctl"],"file":"/home/me/.config/ony/taxonomy.overlay.yaml","line":9,"comment":"2026-12-07 10:00: classified"}}`,
		`{"v":1,"type":"result","id":13,"answers":[],"rules":[{"id":"owner.x","title":"x","risk":"critical","programs":null,"file":"","line":-1,"comment":""}]}`,
		`{"v":1,"type":"forget","id":14,"answer_id":"a-1b2c3d"}`,
		`{"v":1,"type":"result","id":12,"answer":{"id":"a-1b2c3d","scope":"call","harness":"claude","session":"s-12","tool":"Bash","input_digest":"ab","action":"git.push.force","target":"origin/main","risk":"high","at":"2026-12-06T10:00:00Z","by":"pts/3","request_id":"req_1","factors":["keypad"],"uses":2}}`,
		`{"v":1,"type":"result","id":13,"answers":[{"id":"a-1","scope":"everything","harness":"","session":"","action":"","target":"","risk":"none","at":"2026-12-06T10:00:00Z","by":"","request_id":"","factors":null,"uses":-1}]}`,
		`{"v":1,"type":"result","id":11,"stats":{"entries":12,"through":12,"at":"2026-12-06T10:00:00Z","hours":[{"start":"2026-12-06T09:00:00Z","low":3,"medium":0,"high":1,"critical":1}],"day":{"decisions":5,"by_risk":{"low":3,"medium":0,"high":1,"critical":1},"auto":3,"remembered":0,"held":2,"approved":1,"denied":0,"timed_out":1,"blocked":0,"codes_failed":0,"answers":1,"answer_median_ms":4000,"answer_p90_ms":4000,"top_held":[{"action":"git.push.force","count":2}]},"all":{"decisions":5,"by_risk":{"low":3,"medium":0,"high":1,"critical":1},"auto":3,"remembered":0,"held":2,"approved":1,"denied":0,"timed_out":1,"blocked":0,"codes_failed":0,"answers":1,"answer_median_ms":4000,"answer_p90_ms":4000,"top_held":null}}}`,
		`{"v":1,"type":"result","id":11,"stats":{"entries":1,"hours":[],"day":{"decisions":9,"by_risk":{"low":1}},"all":{},"extra":true}}`,
		`{"v":1,"type":"decide","type":"kill","id":1}`,
		`{"v":2,"type":"hello"}`,
		`{"v":1,"type":"hello","label":"x","extra":1}`,
		`[]`, `null`, `{"v":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := decodeAny(body)
		if err != nil || m == nil {
			return
		}
		// What decodes strictly encodes back to something that decodes to
		// the same message.
		var again bytes.Buffer
		if err := wire.WriteFrame(&again, m); err != nil {
			return // e.g. a value JSON cannot re-encode; never accepted twice
		}
		m2, err := decodeAny(again.Bytes()[4:])
		if err != nil || m2 == nil {
			t.Fatalf("re-encoded %T does not decode: %v\n%s", m, err, again.Bytes()[4:])
		}
	})
}

// TestServerRefusesMalformedConsoles sends the engine's console socket what
// a broken or hostile console might, and checks that each is refused and
// the engine keeps serving well-behaved consoles.
func TestServerRefusesMalformedConsoles(t *testing.T) {
	r := newRig(t)
	frame := func(body string) []byte {
		var b bytes.Buffer
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(len(body)))
		b.Write(hdr[:])
		b.WriteString(body)
		return b.Bytes()
	}
	hello := frame(`{"v":1,"type":"hello","label":"x","build":"t"}`)
	for name, send := range map[string][]byte{
		"no hello":         frame(`{"v":1,"type":"decide","id":1,"request_id":"r","approve":true,"via":"console"}`),
		"wrong version":    frame(`{"v":2,"type":"hello","label":"x","build":"t"}`),
		"unknown field":    frame(`{"v":1,"type":"hello","label":"x","build":"t","admin":true}`),
		"type twice":       frame(`{"v":1,"type":"hello","type":"decide","label":"x","build":"t"}`),
		"oversized":        {0xff, 0xff, 0xff, 0xff},
		"garbage":          []byte("GET / HTTP/1.1\r\n\r\n"),
		"unknown after":    append(append([]byte{}, hello...), frame(`{"v":1,"type":"shutdown","id":1}`)...),
		"bad decide after": append(append([]byte{}, hello...), frame(`{"v":1,"type":"decide","id":"x"}`)...),
		"truncated after":  append(append([]byte{}, hello...), 0, 0, 0, 9, '{'),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("unix", r.sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(send); err != nil {
				t.Fatal(err)
			}
			if name == "truncated after" {
				c.(*net.UnixConn).CloseWrite()
			}
			// Read until the engine closes: it must close.
			var got bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatalf("the engine kept a malformed console open: %q", got.String())
					}
					break
				}
			}
		})
	}
	// The engine still serves a good console. A label meant to drive the
	// other consoles' terminals is shown as text.
	a, err := Dial(context.Background(), r.sock, ClientOptions{Label: "\x1b[2Jpwned\u202e", EngineUID: os.Getuid()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The malformed consoles that said hello first detach as the engine
	// closes them; wait for that, then only the good one is left.
	eventually(t, "only the good console attached", func() bool { return len(r.eng.Snapshot().Consoles) == 1 })
	if cons := r.eng.Snapshot().Consoles; cons[0].Label != "?[2Jpwned?" {
		t.Fatalf("consoles: %+v", cons)
	}
}
