package risk

import "testing"

func TestLevels(t *testing.T) {
	for l, name := range map[Level]string{Low: "low", Medium: "medium", High: "high", Critical: "critical"} {
		if l.String() != name || !l.Valid() || l.OrCritical() != l {
			t.Errorf("%d: %q", l, l.String())
		}
		b, err := l.MarshalText()
		if err != nil || string(b) != name {
			t.Errorf("MarshalText(%s) = %q, %v", name, b, err)
		}
		var back Level
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	if Low >= Medium || Medium >= High || High >= Critical {
		t.Error("levels are not ordered")
	}
	if got := Levels(); len(got) != 4 || got[0] != Low || got[3] != Critical {
		t.Errorf("Levels() = %v", got)
	}
}

func TestZeroIsInvalid(t *testing.T) {
	for _, bad := range []Level{0, 5, 255} {
		if bad.Valid() {
			t.Errorf("%d is valid", bad)
		}
		if bad.OrCritical() != Critical {
			t.Errorf("%d.OrCritical() = %v, want critical", bad, bad.OrCritical())
		}
		if _, err := bad.MarshalText(); err == nil {
			t.Errorf("MarshalText(%d) succeeded", bad)
		}
	}
	var zero Level
	if zero.String() != "invalid(0)" {
		t.Errorf("zero: %q", zero.String())
	}
	for _, bad := range []string{"", "Low", "CRITICAL", "severe", "5", "low "} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
		var l Level
		if err := l.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
}
