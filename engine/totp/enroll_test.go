package totp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/ledger"
)

type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *syncClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// runEnroll drives Enroll through pipes like a person at a terminal: it reads
// the secret from the printed URI and answers each prompt with answer(i).
func runEnroll(t *testing.T, reg *device.Registry, j *enginetest.Journal, clk *syncClock, answer func(i int, secret []byte) string) (device.Device, string, error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var out strings.Builder
	done := make(chan struct{})
	var d device.Device
	var err error
	go func() {
		defer close(done)
		d, err = Enroll(context.Background(), EnrollOptions{Registry: reg, Journal: j, Label: "test@host",
			In: inR, Out: outW, Now: clk.now, Attempts: 2})
		outW.Close()
	}()
	var secret []byte
	sc := bufio.NewReader(outR)
	i := 0
	buf := ""
	for {
		b, rerr := sc.ReadByte()
		if rerr != nil {
			break
		}
		out.WriteByte(b)
		buf += string(b)
		if strings.HasSuffix(buf, "\n") {
			if strings.Contains(buf, "uri:") {
				u, _ := url.Parse(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(buf), "uri:")))
				secret, _ = decodeSecret(u.Query().Get("secret"))
			}
			buf = ""
		}
		if strings.HasSuffix(buf, ": ") && (strings.Contains(buf, "Code") || strings.Contains(buf, "code")) {
			ans := answer(i, secret)
			i++
			buf = ""
			go func() { _, _ = io.WriteString(inW, ans+"\n") }()
		}
	}
	<-done
	inW.Close()
	return d, out.String(), err
}

func decodeSecret(s string) ([]byte, error) {
	return b32().DecodeString(s)
}

func TestEnrollConfirmsTwoConsecutiveCodes(t *testing.T) {
	reg, dir := enginetest.Registry(t)
	j := &enginetest.Journal{}
	clk := &syncClock{t: time.Date(2026, 6, 30, 14, 22, 5, 0, time.UTC)}
	d, out, err := runEnroll(t, reg, j, clk, func(i int, secret []byte) string {
		if i == 1 {
			clk.set(clk.now().Add(Period))
		}
		c, _ := Code(secret, clk.now())
		return c
	})
	if err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	for _, want := range []string{"otpauth://totp/Ony:test@host?issuer=Ony&secret=", "secret:", "█", "Enrolled " + d.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "keys", d.ID+".key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	recs := j.Records()
	if len(recs) != 1 || recs[0].Kind != ledger.KindDeviceEnrolled || recs[0].DeviceID != d.ID {
		t.Fatalf("records %+v", recs)
	}
	secretText := out[strings.Index(out, "secret: ")+8:]
	secretText = strings.ReplaceAll(strings.Fields(strings.Split(secretText, "(")[0])[0], " ", "")
	if strings.Contains(recs[0].Detail, secretText) {
		t.Fatal("the secret reached the ledger")
	}
	// The enrolled secret verifies codes, and the confirmation steps are
	// already used.
	v := New(reg, &store{st: State{LastStep: recs[0].Step}}, j, clk.now)
	if !v.Enrolled() {
		t.Fatal("not enrolled")
	}
}

func TestEnrollRejectsWrongAndNonConsecutiveCodes(t *testing.T) {
	reg, _ := enginetest.Registry(t)
	j := &enginetest.Journal{}
	clk := &syncClock{t: time.Date(2026, 6, 30, 14, 22, 5, 0, time.UTC)}
	_, _, err := runEnroll(t, reg, j, clk, func(int, []byte) string { return "000000" })
	if !errors.Is(err, ErrEnrollAborted) {
		t.Fatalf("wrong codes: %v", err)
	}
	// The same code twice is not two consecutive codes.
	_, _, err = runEnroll(t, reg, j, clk, func(_ int, s []byte) string { c, _ := Code(s, clk.now()); return c })
	if !errors.Is(err, ErrEnrollAborted) {
		t.Fatalf("same code twice: %v", err)
	}
	if _, err := reg.ActiveOf(device.KindTOTP); !errors.Is(err, device.ErrNotFound) {
		t.Fatalf("a failed enrolment stored a device: %v", err)
	}
	if n := len(j.Records()); n != 0 {
		t.Fatalf("failed enrolments recorded %d events", n)
	}
}

// Typing the first code again at the second prompt says it was used and
// when the next one comes, instead of "does not match".
func TestEnrollSaysACodeWasUsed(t *testing.T) {
	reg, _ := enginetest.Registry(t)
	j := &enginetest.Journal{}
	clk := &syncClock{t: time.Date(2026, 6, 30, 14, 22, 5, 0, time.UTC)} // 5 s into a step
	_, out, err := runEnroll(t, reg, j, clk, func(i int, secret []byte) string {
		if i == 2 {
			clk.set(clk.now().Add(Period))
		}
		c, _ := Code(secret, clk.now())
		return c
	})
	if err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	if !strings.Contains(out, "this code was already used; the next one comes in 25s") {
		t.Fatalf("no used-code message:\n%s", out)
	}
}

func TestReenrolmentReplaces(t *testing.T) {
	reg, _ := enginetest.Registry(t)
	j := &enginetest.Journal{}
	clk := &syncClock{t: time.Date(2026, 6, 30, 14, 22, 5, 0, time.UTC)}
	answer := func(i int, s []byte) string {
		if i == 1 {
			clk.set(clk.now().Add(Period))
		}
		c, _ := Code(s, clk.now())
		return c
	}
	first, _, err := runEnroll(t, reg, j, clk, answer)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := runEnroll(t, reg, j, clk, answer)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := reg.Get(first.ID)
	if old.Active() {
		t.Fatal("first totp device still active after re-enrolment")
	}
	if act, _ := reg.ActiveOf(device.KindTOTP); act.ID != second.ID {
		t.Fatalf("active totp %s, want %s", act.ID, second.ID)
	}
	kinds := []ledger.Kind{}
	for _, r := range j.Records() {
		kinds = append(kinds, r.Kind)
	}
	if len(kinds) != 3 || kinds[2] != ledger.KindDeviceRevoked {
		t.Fatalf("records %v", kinds)
	}
}

// TestQRMatchesEncoder reads the drawn code back into modules and compares
// them with the encoder's matrix.
func TestQRMatchesEncoder(t *testing.T) {
	text := URI(strings.Repeat("long-user@a-rather-long-hostname", 3), []byte("0123456789abcdefghij"))
	art, err := QR(text, false)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := qr.Encode(text, qr.L, qr.Auto)
	n := code.Bounds().Dx()
	lines := strings.Split(strings.TrimSuffix(art, "\n"), "\n")
	size := n + 2*quiet
	if len(lines) != (size+1)/2 {
		t.Fatalf("%d lines for %d modules", len(lines), size)
	}
	for y := 0; y < size; y++ {
		row := []rune(lines[y/2])
		if len(row) != size {
			t.Fatalf("line %d has %d cells, want %d", y/2, len(row), size)
		}
		for x := 0; x < size; x++ {
			c := row[x]
			got := c == '█' || (y%2 == 0 && c == '▀') || (y%2 == 1 && c == '▄')
			want := false
			if mx, my := x-quiet, y-quiet; mx >= 0 && my >= 0 && mx < n && my < n {
				r, _, _, _ := code.At(mx, my).RGBA()
				want = r < 0x8000
			}
			if got != want {
				t.Fatalf("module (%d,%d): drawn %v, encoder %v", x, y, got, want)
			}
		}
	}
	if size > 80 || len(lines) > 24 {
		t.Fatalf("code is %dx%d, does not fit 80x24", size, len(lines))
	}
}
