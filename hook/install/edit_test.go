package install

import (
	"testing"

	"github.com/tailscale/hujson"
)

func TestRemoveKeepsTrailingCommaAndComments(t *testing.T) {
	for _, tc := range []struct {
		in   string
		i    int
		want string
	}{
		{`[1, 2]`, 1, `[1]`},
		{`[1, 2, ]`, 1, `[1, ]`},
		{`[1 /*c*/, 2]`, 1, `[1 /*c*/]`},
		{`[1, 2, 3]`, 0, `[2, 3]`},
		{"[\n  // keep\n  1,\n  2\n]", 1, "[\n  // keep\n  1\n]"},
		{"[\n  1\n]", 0, "[]"},
		{"[ /* note */ 1 ]", 0, "[]"}, // a comment before an element goes with it
	} {
		v, err := hujson.Parse([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		removeElement(v.Value.(*hujson.Array), tc.i)
		if got := string(v.Pack()); got != tc.want {
			t.Errorf("remove %d from %q = %q, want %q", tc.i, tc.in, got, tc.want)
		}
	}
	v, _ := hujson.Parse([]byte(`{"a": 1, "b": 2,}`))
	removeMember(v.Value.(*hujson.Object), 1)
	if got := string(v.Pack()); got != `{"a": 1,}` {
		t.Errorf("remove member = %q", got)
	}
}

func TestAppendChildLayouts(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\n  \"a\": [1, 2,]\n}", "{\n  \"a\": [1, 2, {\"x\":1},]\n}"},
		{"{\n    \"a\": [\n        1\n    ]\n}", "{\n    \"a\": [\n        1,\n        {\n            \"x\": 1\n        }\n    ]\n}"},
		{"{\n\t\"a\": []\n}", "{\n\t\"a\": [\n\t\t{\n\t\t\t\"x\": 1\n\t\t}\n\t]\n}"},
		{`{"a":[]}`, `{"a":[{"x":1}]}`},
	} {
		d, err := parseDoc([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		obj := d.rootObject()
		arr := obj.Members[0].Value.Value.(*hujson.Array)
		if err := d.appendChild(arrayContainer(arr), d.memberIndent(obj, "a", ""), map[string]int{"x": 1}); err != nil {
			t.Fatal(err)
		}
		if got := string(d.bytes()); got != tc.want {
			t.Errorf("append to %q =\n%q\nwant\n%q", tc.in, got, tc.want)
		}
	}
}
