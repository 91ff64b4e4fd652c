package taxonomy

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// decoder reads the YAML syntax tree strictly: every error names the file,
// line and column of the offending node.
type decoder struct {
	name string
}

// entry is one key of a mapping.
type entry struct {
	key     string
	keyNode ast.Node
	val     ast.Node
}

// str is a string together with the node it came from, for error positions.
type str struct {
	s string
	n ast.Node
}

// parse parses data as exactly one YAML document and returns its body.
func (d *decoder) parse(data []byte) (ast.Node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var se *yaml.SyntaxError
		if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
			return nil, fmt.Errorf("%s:%d:%d: %s", d.name, se.Token.Position.Line, se.Token.Position.Column, se.Message)
		}
		return nil, fmt.Errorf("%s: parsing yaml: %w", d.name, err)
	}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc.Body)
		}
	}
	switch len(docs) {
	case 0:
		return nil, fmt.Errorf("%s:1:1: taxonomy is empty", d.name)
	case 1:
		return docs[0], nil
	}
	return nil, d.errf(docs[1], "taxonomy must be a single YAML document")
}

// errf returns an error positioned at n.
func (d *decoder) errf(n ast.Node, format string, args ...any) error {
	line, col := position(n)
	return fmt.Errorf("%s:%d:%d: %s", d.name, line, col, fmt.Sprintf(format, args...))
}

// position returns the line and column where n starts.
func position(n ast.Node) (int, int) {
	switch v := n.(type) {
	case nil:
		return 1, 1
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return position(v.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return position(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 1, 1
	}
	return tk.Position.Line, tk.Position.Column
}

// line returns the line where n starts.
func line(n ast.Node) int {
	l, _ := position(n)
	return l
}

// describe names the YAML type of a node for error messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return n.Type().String()
}

// plain rejects the YAML features the taxonomy does not use, so that what
// a reader sees is what is loaded.
func (d *decoder) plain(n ast.Node) error {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode:
		return d.errf(n, "anchors and aliases are not supported in the taxonomy")
	case *ast.TagNode:
		return d.errf(n, "tags are not supported in the taxonomy")
	case *ast.MergeKeyNode:
		return d.errf(n, "merge keys are not supported in the taxonomy")
	}
	return nil
}

// mapping returns the entries of a mapping node, in order.
func (d *decoder) mapping(n ast.Node, what string) ([]entry, error) {
	if err := d.plain(n); err != nil {
		return nil, err
	}
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		return nil, d.errf(n, "%s must be a mapping, got %s", what, describe(n))
	}
	out := make([]entry, 0, len(values))
	for _, mv := range values {
		if err := d.plain(mv.Key); err != nil {
			return nil, err
		}
		k, ok := mv.Key.(*ast.StringNode)
		if !ok {
			return nil, d.errf(mv.Key, "keys in %s must be strings, got %s", what, describe(mv.Key))
		}
		out = append(out, entry{key: k.Value, keyNode: mv.Key, val: mv.Value})
	}
	return out, nil
}

// unknownKey reports a key the schema does not define.
func (d *decoder) unknownKey(e entry, what string) error {
	return d.errf(e.keyNode, "unknown key %q in %s", e.key, what)
}

// str returns a string scalar.
func (d *decoder) str(n ast.Node, what string) (str, error) {
	if err := d.plain(n); err != nil {
		return str{}, err
	}
	switch v := n.(type) {
	case *ast.StringNode:
		return str{v.Value, n}, nil
	case *ast.LiteralNode:
		return str{v.Value.Value, n}, nil
	}
	return str{}, d.errf(n, "%s must be a string, got %s", what, describe(n))
}

// nonEmpty returns a non-empty string scalar.
func (d *decoder) nonEmpty(n ast.Node, what string) (str, error) {
	s, err := d.str(n, what)
	if err == nil && s.s == "" {
		err = d.errf(n, "%s must not be empty", what)
	}
	return s, err
}

// seq returns the items of a list node.
func (d *decoder) seq(n ast.Node, what string) ([]ast.Node, error) {
	if err := d.plain(n); err != nil {
		return nil, err
	}
	s, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, d.errf(n, "%s must be a list, got %s", what, describe(n))
	}
	return s.Values, nil
}

// strs returns a list of non-empty strings; a single string is a list of
// one.
func (d *decoder) strs(n ast.Node, what string) ([]str, error) {
	if err := d.plain(n); err != nil {
		return nil, err
	}
	if _, ok := n.(*ast.SequenceNode); !ok {
		s, err := d.nonEmpty(n, what)
		if err != nil {
			return nil, d.errf(n, "%s must be a string or a list of strings, got %s", what, describe(n))
		}
		return []str{s}, nil
	}
	items, _ := d.seq(n, what)
	out := make([]str, 0, len(items))
	for _, it := range items {
		s, err := d.nonEmpty(it, "each item of "+what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// boolean returns a boolean scalar.
func (d *decoder) boolean(n ast.Node, what string) (bool, error) {
	if err := d.plain(n); err != nil {
		return false, err
	}
	b, ok := n.(*ast.BoolNode)
	if !ok {
		return false, d.errf(n, "%s must be true or false, got %s", what, describe(n))
	}
	return b.Value, nil
}

// count returns a non-negative integer scalar.
func (d *decoder) count(n ast.Node, what string) (int, error) {
	if err := d.plain(n); err != nil {
		return 0, err
	}
	i, ok := n.(*ast.IntegerNode)
	if !ok {
		return 0, d.errf(n, "%s must be an integer, got %s", what, describe(n))
	}
	v, err := strconv.Atoi(i.GetToken().Value)
	if err != nil || v < 0 || v > 1<<16 {
		return 0, d.errf(n, "%s must be an integer from 0 to 65536", what)
	}
	return v, nil
}
