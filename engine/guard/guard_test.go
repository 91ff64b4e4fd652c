package guard

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
)

func state(rt string) State {
	return Current([]byte("approvals:\n  require_touch: "+rt+"\n"), rt, "tax1",
		[]Action{{"git.push.force", "critical"}, {"file.read", "low"}},
		[]device.Device{{ID: "dev_00000001", Kind: device.KindConsole, KeyID: "hk_1"}, {ID: "dev_00000002", Kind: device.KindYubiKey, KeyID: "ek_2"}})
}

func TestDiffNamesEveryWeakening(t *testing.T) {
	old := state("high")
	for name, tc := range map[string]struct {
		edit func(s *State)
		want string
	}{
		"off":       {func(s *State) { s.RequireTouch = "" }, "turned off (was high)"},
		"lowered":   {func(s *State) { s.RequireTouch = "critical" }, "changed from high to critical"},
		"config":    {func(s *State) { s.Config = "other" }, "config.yaml edited"},
		"no config": {func(s *State) { s.Config = "" }, "config.yaml removed"},
		"risk": {func(s *State) {
			s.Taxonomy, s.Risks = "tax2", map[string]string{"git.push.force": "high", "file.read": "low"}
		}, "lowers git.push.force critical→high"},
		"removed": {func(s *State) { s.Taxonomy, s.Risks = "tax2", map[string]string{"file.read": "low"} }, "removes git.push.force"},
		"rules": {func(s *State) {
			s.Taxonomy = "tax2"
			s.Risks = map[string]string{"git.push.force": "critical", "file.read": "medium"}
		}, "rules changed"},
		"enrolled": {func(s *State) { s.Devices = append(s.Devices, Device{ID: "dev_00000003", Kind: device.KindYubiKey}) }, "dev_00000003 (yubikey) enrolled"},
		"revoked":  {func(s *State) { s.Devices = s.Devices[:1] }, "dev_00000002 (yubikey) revoked"},
		"rekeyed":  {func(s *State) { s.Devices[0].KeyID = "hk_9" }, "dev_00000001 (console) has another key"},
	} {
		cur := state("high")
		tc.edit(&cur)
		d := Diff(old, cur)
		if len(d) != 1 || !strings.Contains(d[0], tc.want) {
			t.Errorf("%s: %q, want one change containing %q", name, d, tc.want)
		}
	}
	if d := Diff(old, state("high")); len(d) != 0 {
		t.Fatalf("no change reported as %q", d)
	}
}

func TestEvaluate(t *testing.T) {
	store := Store{Path: filepath.Join(t.TempDir(), "policy.json")}
	// Never on, still off: nothing to do.
	if st, err := Evaluate(store, Anchored{}, state("")); err != nil || st.Accept != "" || len(st.Pending) != 0 {
		t.Fatalf("off: %+v %v", st, err)
	}
	// Turned on: accepted without a touch.
	st, err := Evaluate(store, Anchored{}, state("high"))
	if err != nil || !strings.Contains(st.Accept, "turned on") {
		t.Fatalf("turning on: %+v %v", st, err)
	}
	hash, err := Accept(store, "", state("high"), st.Accept, "engine", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	anchor := Anchored{Found: true, Hash: hash, On: true}
	if st, err := Evaluate(store, anchor, state("high")); err != nil || len(st.Pending) != 0 || st.Accept != "" {
		t.Fatalf("unchanged: %+v %v", st, err)
	}
	off := state("")
	if st, err := Evaluate(store, anchor, off); err != nil || len(st.Pending) != 2 {
		t.Fatalf("turned off by editing config.yaml: %+v %v", st, err)
	}
	// The file edited by hand no longer matches the ledger.
	b, _ := os.ReadFile(store.Path)
	if err := os.WriteFile(store.Path, []byte(strings.Replace(string(b), `"high"`, `""`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := Evaluate(store, anchor, off); err != nil || len(st.Pending) != 1 || !strings.Contains(st.Pending[0], "changed outside Ony") {
		t.Fatalf("edited file: %+v %v", st, err)
	}
	// Deleted: refused with what to do.
	_ = os.Remove(store.Path)
	if _, err := Evaluate(store, anchor, off); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("deleted file: %v", err)
	}
	if _, _, err := store.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("load: %v", err)
	}
}

func TestDetailRoundTrip(t *testing.T) {
	h := strings.Repeat("ab", 32)
	a, err := ParseDetail(Detail(h, state("critical"), "x"))
	if err != nil || a.Hash != h || !a.On {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = ParseDetail(Detail(h, state(""), "turned off"))
	if err != nil || a.On {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{"", "sha256:abc require_touch=high", "hello world"} {
		if _, err := ParseDetail(bad); err == nil {
			t.Errorf("ParseDetail(%q) accepted", bad)
		}
	}
}

func TestConfirmersAreKeysOfTheAcceptedState(t *testing.T) {
	st := Status{Confirmed: Confirmed{State: state("high")}}
	yk := &device.YubiKey{Serial: 1}
	devs := []device.Device{
		{ID: "dev_00000002", Kind: device.KindYubiKey, KeyID: "ek_2", YubiKey: yk},
		{ID: "dev_00000003", Kind: device.KindYubiKey, KeyID: "ek_3", YubiKey: yk},     // enrolled since: cannot confirm
		{ID: "dev_00000002", Kind: device.KindYubiKey, KeyID: "ek_other", YubiKey: yk}, // same id, another key
	}
	got := Confirmers(st, devs)
	if len(got) != 1 || got[0].KeyID != "ek_2" {
		t.Fatalf("confirmers %+v", got)
	}
}

func TestSigningBytesAreUnambiguous(t *testing.T) {
	if string(SigningBytes("ab", "c")) == string(SigningBytes("a", "bc")) {
		t.Fatal("length prefixes missing")
	}
	if !strings.HasPrefix(string(SigningBytes("", "")), Prefix) {
		t.Fatal("no prefix")
	}
}
