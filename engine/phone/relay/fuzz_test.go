package relay

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodeFrame feeds the frame decoder, and the event decoders behind
// it, arbitrary bytes: they must never panic, must accept only frames that
// keep the JSON-RPC shape, and must never quote the input in an error
// (frames carry the digits of a 6-digit code).
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":"1","result":{"protocol":"signalwire_abc","sessionid":"s"}}`,
		`{"jsonrpc":"2.0","id":"1","error":{"code":-32002,"message":"Authentication failed"}}`,
		`{"jsonrpc":"2.0","id":"p","method":"signalwire.ping","params":{"timestamp":1.5}}`,
		`{"jsonrpc":"2.0","id":"e","method":"signalwire.event","params":{"event_type":"calling.call.collect","params":{"call_id":"c","control_id":"x","result":{"type":"digit","params":{"digits":"123456","terminator":"#"}},"final":true}}}`,
		`{"jsonrpc":"2.0","id":"e","method":"signalwire.event","params":{"event_type":"calling.call.state","params":{"call_id":"c","tag":"t","call_state":"ended","end_reason":"busy"}}}`,
		`{"jsonrpc":"2.0","id":"e","method":"signalwire.event","params":{"event_type":"calling.call.dial","params":{"tag":"t","dial_state":"answered","call":{"call_id":"c","node_id":"n"}}}}`,
		`{"jsonrpc":"2.0","id":"r","result":{"code":"404","message":"Call not found"}}`,
		`{"jsonrpc":"2.0","id":"r","result":{},"error":{"code":1,"message":"both"}}`,
		`{"jsonrpc":"1.0","id":"r","result":{}}`,
		`{"jsonrpc":"2.0","id":7,"result":{}}`,
		`[1,2,3]`,
		`{"jsonrpc":"2.0","id":"r","result":{}} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if len(b) >= 12 && strings.Contains(err.Error(), string(b)) {
				t.Fatalf("the error quotes the frame: %v", err)
			}
			return
		}
		if !validID(fr.ID) {
			t.Fatalf("accepted id %q", fr.ID)
		}
		kinds := 0
		for _, k := range []bool{fr.Method != "", fr.Result != nil, fr.Error != nil} {
			if k {
				kinds++
			}
		}
		if kinds != 1 {
			t.Fatalf("accepted a frame that is %d of request, result and error", kinds)
		}
		if fr.Error != nil && (strings.ContainsAny(fr.Error.Message, "\x00\x1b\n\r") || len(fr.Error.Message) > maxMessage+len("…")) {
			t.Fatalf("uncleaned server message %q", fr.Error.Message)
		}
		if fr.Method != MethodEvent {
			return
		}
		ev, err := DecodeEvent(fr.Params)
		if err != nil {
			return
		}
		var c CollectEvent
		if decodeInto(ev, &c) == nil && (!validDigits(c.Result.Params.Digits) || bytes.ContainsAny([]byte(c.ControlID), " \n")) {
			t.Fatalf("accepted collect %+v", c)
		}
		var d DialEvent
		_ = decodeInto(ev, &d)
		var s StateEvent
		_ = decodeInto(ev, &s)
		var p PlayEvent
		_ = decodeInto(ev, &p)
		var a AuthStateEvent
		_ = decodeInto(ev, &a)
	})
}
