package relayfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The fake parses what the client sends with its own strict reader, not
// the client's decoder, so a mistake in one is caught by the other.

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	e164RE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	digitRE = regexp.MustCompile(`^[0-9*#]*$`)
)

// obj is a JSON object under inspection; problems accumulate in errs.
type obj struct {
	path string
	m    map[string]json.RawMessage
	errs *[]string
}

func (o obj) bad(format string, args ...any) {
	*o.errs = append(*o.errs, o.path+": "+fmt.Sprintf(format, args...))
}

// parseObject decodes b as exactly one JSON object.
func parseObject(b []byte, path string, errs *[]string) (obj, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		*errs = append(*errs, path+": not a JSON object")
		return obj{}, false
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) != 0 {
		*errs = append(*errs, path+": trailing data")
		return obj{}, false
	}
	return obj{path: path, m: m, errs: errs}, true
}

func (o obj) has(key string) bool { _, ok := o.m[key]; return ok }

// only flags any key not listed.
func (o obj) only(keys ...string) {
	allowed := map[string]bool{}
	for _, k := range keys {
		allowed[k] = true
	}
	var extra []string
	for k := range o.m {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		o.bad("unexpected keys %s", strings.Join(extra, ", "))
	}
}

func (o obj) str(key string, required bool) (string, bool) {
	b, ok := o.m[key]
	if !ok {
		if required {
			o.bad("%q is missing", key)
		}
		return "", false
	}
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		o.bad("%q is not a string", key)
		return "", false
	}
	return s, true
}

func (o obj) num(key string, required bool) (float64, bool) {
	b, ok := o.m[key]
	if !ok {
		if required {
			o.bad("%q is missing", key)
		}
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(b, &n) != nil {
		o.bad("%q is not a number", key)
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		o.bad("%q is not a number", key)
		return 0, false
	}
	return f, true
}

func (o obj) integer(key string, required bool) (int, bool) {
	f, ok := o.num(key, required)
	if !ok {
		return 0, false
	}
	if f != float64(int(f)) {
		o.bad("%q is not an integer", key)
		return 0, false
	}
	return int(f), true
}

func (o obj) boolean(key string, required bool) (bool, bool) {
	b, ok := o.m[key]
	if !ok {
		if required {
			o.bad("%q is missing", key)
		}
		return false, false
	}
	var v bool
	if json.Unmarshal(b, &v) != nil {
		o.bad("%q is not a boolean", key)
		return false, false
	}
	return v, true
}

func (o obj) object(key string, required bool) (obj, bool) {
	b, ok := o.m[key]
	if !ok {
		if required {
			o.bad("%q is missing", key)
		}
		return obj{}, false
	}
	return parseObject(b, o.path+"."+key, o.errs)
}

func (o obj) array(key string, required bool) ([]json.RawMessage, bool) {
	b, ok := o.m[key]
	if !ok {
		if required {
			o.bad("%q is missing", key)
		}
		return nil, false
	}
	var a []json.RawMessage
	if len(b) == 0 || b[0] != '[' || json.Unmarshal(b, &a) != nil {
		o.bad("%q is not an array", key)
		return nil, false
	}
	return a, true
}

// uuid checks a field holds a version 4 UUID, as RELAY ids are.
func (o obj) uuid(key string) (string, bool) {
	s, ok := o.str(key, true)
	if ok && !uuidRE.MatchString(s) {
		o.bad("%q is not a lowercase version 4 UUID", key)
		return s, false
	}
	return s, ok
}
