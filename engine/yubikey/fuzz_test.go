package yubikey

import (
	"errors"
	"testing"
)

// FuzzHelperResponse feeds the console's side of the helper protocol
// whatever a helper could print: it never panics, and an error the helper
// reports is always an error.
func FuzzHelperResponse(f *testing.F) {
	for _, s := range []string{
		`{"signature":"3045022100"}`,
		`{"cards":[{"reader":"Yubico YubiKey 00 00","serial":1,"version":[5,7,2],"form_factor":3}],"busy":1}`,
		`{"error":{"kind":"touch-timeout","message":"x","cause":"smart card error 6982"}}`,
		`{"error":{"kind":"wrong-card","message":"x","want":[1],"found":[2,3]}}`,
		`{"error":{"kind":"wrong-pin","message":"x","retries":2}}`,
		`{"error":{"kind":"nonsense","message":""}}`,
		`{"error":null}`, `{}`, `[]`, `{"signature":1}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := decodeResponse(b)
		if err != nil {
			return
		}
		_ = resp.cards()
		if resp.Err != nil {
			e := decodeError(resp.Err)
			if e == nil {
				t.Fatal("a reported error decoded as nil")
			}
			_ = e.Error()
			_ = Cause(e)
			var wc *WrongCardError
			_ = errors.As(e, &wc)
		}
	})
}
