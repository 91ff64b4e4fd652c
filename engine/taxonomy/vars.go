package taxonomy

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Built-in variable names.
const (
	varHome      = "HOME"
	varOny       = "ONY"
	varBinary    = "ONY_BINARY"
	varProtected = "PROTECTED"
)

// expansion modes: how a variable's value is quoted where it is inserted.
type mode uint8

const (
	modeRegex mode = iota // a regular expression: built-in values are quoted
	modeGlob              // a path glob: built-in values are escaped
	modePlain             // plain text: values are inserted as they are
)

// variable is the value of one ${NAME}.
type variable struct {
	vals    []string
	builtin bool // values are literal paths, quoted on insertion
	// optional variables may be empty; using an empty required one is an
	// error, so a rule can never silently lose its target.
	optional bool
}

// builtinVars returns the variables that come from the environment.
func builtinVars(env Env) map[string]variable {
	clean := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			if p != "" {
				out = append(out, filepath.Clean(p))
			}
		}
		return out
	}
	one := func(p string) []string { return clean([]string{p}) }
	return map[string]variable{
		varHome:      {vals: one(env.Home), builtin: true},
		varOny:       {vals: clean(env.OnyRoots), builtin: true},
		varBinary:    {vals: one(env.OnyBinary), builtin: true},
		varProtected: {vals: clean(env.ExtraProtected), builtin: true, optional: true},
	}
}

// expand substitutes every ${NAME} in s. A list variable yields one result
// per value in glob and plain mode, and an alternation in regex mode.
func (b *builder) expand(s string, n ast.Node, m mode) ([]string, error) {
	out := []string{""}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, b.d.errf(n, "unclosed ${ in %q", s)
		}
		name := s[i+2 : i+j]
		v, ok := b.vars[name]
		if !ok {
			return nil, b.d.errf(n, "unknown variable ${%s}", name)
		}
		if len(v.vals) == 0 && !v.optional {
			return nil, b.d.errf(n, "variable ${%s} is empty: the console must set it before loading the taxonomy", name)
		}
		vals := make([]string, len(v.vals))
		for k, val := range v.vals {
			vals[k] = quote(val, v.builtin, m)
		}
		if m == modeRegex {
			switch len(vals) {
			case 0:
				vals = []string{`[^\x00-\x{10FFFF}]`} // matches nothing
			case 1:
			default:
				vals = []string{"(?:" + strings.Join(vals, "|") + ")"}
			}
		}
		prefix := s[:i]
		next := make([]string, 0, len(out)*len(vals))
		for _, o := range out {
			for _, val := range vals {
				next = append(next, o+prefix+val)
			}
		}
		out = next
		s = s[i+j+1:]
	}
	for k := range out {
		out[k] += s
	}
	return out, nil
}

// quote makes a built-in value literal in the given mode.
func quote(v string, builtin bool, m mode) string {
	if !builtin {
		return v
	}
	switch m {
	case modeRegex:
		return regexp.QuoteMeta(v)
	case modeGlob:
		var sb strings.Builder
		for _, r := range v {
			if strings.ContainsRune(`*?[]{}\`, r) {
				sb.WriteByte('\\')
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
	return v
}

// expandOne expands s where a list variable makes no sense.
func (b *builder) expandOne(s string, n ast.Node, m mode) (string, error) {
	vals, err := b.expand(s, n, m)
	if err != nil {
		return "", err
	}
	if len(vals) != 1 {
		return "", b.d.errf(n, "%q must expand to exactly one value, not %d", s, len(vals))
	}
	return vals[0], nil
}
