package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tailscale/hujson"
)

// doc is a parsed config file that edits in place: everything not touched
// packs back to the exact bytes it was read from, comments and trailing
// commas included.
type doc struct {
	root hujson.Value
	unit string // one level of indentation, as the file uses it
	// pretty is false for a file written on one line; new entries then go in
	// compact form too.
	pretty bool
	// spaced is true when a compact file puts a space after its colons, and
	// so (most likely) after its commas too.
	spaced bool
	nl     string // "\r\n" in a file that uses it, else "\n"
}

// parseDoc parses b, which must hold a JSON (or JWCC) object.
func parseDoc(b []byte) (*doc, error) {
	v, err := hujson.Parse(b)
	if err != nil {
		return nil, err
	}
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil, fmt.Errorf("the top level is %s, want an object", kindName(v))
	}
	d := &doc{root: v, unit: "  ", pretty: true, nl: "\n"}
	if bytes.Contains(b, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	if len(obj.Members) > 0 {
		first := obj.Members[0].Name.BeforeExtra
		d.pretty = bytes.ContainsRune(first, '\n')
		d.spaced = string(obj.Members[0].Value.BeforeExtra) == " "
		if ind, ok := lineIndent(first); ok && d.pretty {
			d.unit = ind
		}
	}
	return d, nil
}

func (d *doc) bytes() []byte { return d.root.Pack() }

func (d *doc) rootObject() *hujson.Object { return d.root.Value.(*hujson.Object) }

// kindName names a value's JSON type for error messages.
func kindName(v hujson.Value) string {
	switch v.Value.Kind() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// lineIndent returns the whitespace after the last newline of an extra, when
// there is a newline and only spaces or tabs follow it.
func lineIndent(extra hujson.Extra) (string, bool) {
	i := bytes.LastIndexByte(extra, '\n')
	if i < 0 {
		return "", false
	}
	ind := string(extra[i+1:])
	if strings.Trim(ind, " \t") != "" {
		return "", false
	}
	return ind, true
}

// memberName returns an object member's name.
func memberName(m *hujson.ObjectMember) string {
	if lit, ok := m.Name.Value.(hujson.Literal); ok {
		return lit.String()
	}
	return ""
}

// member returns the index of the last member called name (the one JSON
// readers honour), or -1.
func member(obj *hujson.Object, name string) int {
	for i := len(obj.Members) - 1; i >= 0; i-- {
		if memberName(&obj.Members[i]) == name {
			return i
		}
	}
	return -1
}

// childIndent is the indentation for a new child of a container whose own
// line is indented by indent: that of its existing children where they are on
// their own lines, else one unit deeper.
func (d *doc) childIndent(last *hujson.Extra, indent string) string {
	if last != nil {
		if ind, ok := lineIndent(*last); ok {
			return ind
		}
	}
	return indent + d.unit
}

// render encodes v as a JSON value to be placed on a line indented by indent.
func (d *doc) render(v any, indent string, multiline bool) (hujson.Value, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if multiline {
		enc.SetIndent(indent, d.unit)
	}
	if err := enc.Encode(v); err != nil {
		return hujson.Value{}, err
	}
	text := bytes.TrimRight(b.Bytes(), "\n")
	if d.nl != "\n" {
		text = bytes.ReplaceAll(text, []byte("\n"), []byte(d.nl))
	}
	return hujson.Parse(text)
}

// container is the part of an array or object the edits need.
type container struct {
	n          int                  // number of children
	firstExtra func() *hujson.Extra // BeforeExtra of the first child
	lastExtra  func() *hujson.Extra // BeforeExtra of the last child
	lastValue  func() *hujson.Value // the last child (its value, for objects)
	after      *hujson.Extra        // the container's AfterExtra, before its closing bracket
	add        func(v hujson.Value, before hujson.Extra)
}

func arrayContainer(arr *hujson.Array) container {
	return container{
		n:          len(arr.Elements),
		firstExtra: func() *hujson.Extra { return &arr.Elements[0].BeforeExtra },
		lastExtra:  func() *hujson.Extra { return &arr.Elements[len(arr.Elements)-1].BeforeExtra },
		lastValue:  func() *hujson.Value { return &arr.Elements[len(arr.Elements)-1] },
		after:      &arr.AfterExtra,
		add: func(v hujson.Value, before hujson.Extra) {
			v.BeforeExtra = before
			arr.Elements = append(arr.Elements, v)
		},
	}
}

func objectContainer(obj *hujson.Object, name string) container {
	return container{
		n:          len(obj.Members),
		firstExtra: func() *hujson.Extra { return &obj.Members[0].Name.BeforeExtra },
		lastExtra:  func() *hujson.Extra { return &obj.Members[len(obj.Members)-1].Name.BeforeExtra },
		lastValue:  func() *hujson.Value { return &obj.Members[len(obj.Members)-1].Value },
		after:      &obj.AfterExtra,
		add: func(v hujson.Value, before hujson.Extra) {
			sep := hujson.Extra(" ")
			if len(obj.Members) > 0 {
				if prev := obj.Members[len(obj.Members)-1].Value.BeforeExtra; !bytes.ContainsRune(prev, '\n') && !bytes.Contains(prev, []byte("/")) {
					sep = slices.Clone(prev)
				}
			}
			v.BeforeExtra = sep
			obj.Members = append(obj.Members, hujson.ObjectMember{
				Name:  hujson.Value{BeforeExtra: before, Value: hujson.String(name)},
				Value: v,
			})
		},
	}
}

// appendChild adds v as the last child of c, whose own line is indented by
// indent, in the layout of the children already there. A trailing comma
// stays a trailing comma.
func (d *doc) appendChild(c container, indent string, v any) error {
	multiline := d.pretty
	var before hujson.Extra
	var childInd string
	trailingComma := false
	if c.n == 0 {
		childInd = indent + d.unit
		if multiline {
			before = hujson.Extra(d.nl + childInd)
			if !bytes.ContainsRune(*c.after, '\n') && strings.Trim(string(*c.after), " \t") == "" {
				*c.after = hujson.Extra(d.nl + indent)
			}
		}
	} else {
		multiline = bytes.ContainsRune(*c.firstExtra(), '\n')
		childInd = d.childIndent(c.lastExtra(), indent)
		switch prev := *c.lastExtra(); {
		case multiline:
			before = hujson.Extra(d.nl + childInd)
		case c.n > 1 && strings.Trim(string(prev), " \t") == "":
			before = slices.Clone(prev) // the spacing after the file's commas
		case d.spaced:
			before = hujson.Extra(" ")
		}
		trailingComma = c.lastValue().AfterExtra != nil
	}
	val, err := d.render(v, childInd, multiline)
	if err != nil {
		return err
	}
	if trailingComma {
		val.AfterExtra = hujson.Extra{}
	}
	c.add(val, before)
	return nil
}

// removeElement deletes arr.Elements[i], keeping the array's trailing-comma
// state and the comments around it.
func removeElement(arr *hujson.Array, i int) {
	removed := arr.Elements[i]
	arr.Elements = slices.Delete(arr.Elements, i, i+1)
	if i == 0 && len(arr.Elements) > 0 {
		inheritLead(&arr.Elements[0].BeforeExtra, removed.BeforeExtra)
	}
	if i == len(arr.Elements) && i > 0 {
		fixTrailing(&arr.Elements[i-1], removed.AfterExtra, &arr.AfterExtra)
	}
	if len(arr.Elements) == 0 {
		compactEmpty(&arr.AfterExtra)
	}
}

// removeMember deletes obj.Members[i] like removeElement.
func removeMember(obj *hujson.Object, i int) {
	removed := obj.Members[i]
	obj.Members = slices.Delete(obj.Members, i, i+1)
	if i == 0 && len(obj.Members) > 0 {
		inheritLead(&obj.Members[0].Name.BeforeExtra, removed.Name.BeforeExtra)
	}
	if i == len(obj.Members) && i > 0 {
		fixTrailing(&obj.Members[i-1].Value, removed.Value.AfterExtra, &obj.AfterExtra)
	}
	if len(obj.Members) == 0 {
		compactEmpty(&obj.AfterExtra)
	}
}

// inheritLead gives a child that becomes first the blank that led the one
// removed before it (what followed the opening bracket rather than a comma),
// when both are only blanks.
func inheritLead(next *hujson.Extra, removed hujson.Extra) {
	if strings.Trim(string(*next), " \t\r\n") == "" && strings.Trim(string(removed), " \t\r\n") == "" {
		*next = slices.Clone(removed)
	}
}

// fixTrailing gives the new last child the trailing-comma state of the one
// removed after it (a non-nil AfterExtra on the last child means a comma).
func fixTrailing(newLast *hujson.Value, removedAfter hujson.Extra, containerAfter *hujson.Extra) {
	switch {
	case removedAfter == nil && newLast.AfterExtra != nil:
		*containerAfter = append(slices.Clone(newLast.AfterExtra), *containerAfter...)
		newLast.AfterExtra = nil
	case removedAfter != nil && newLast.AfterExtra == nil:
		newLast.AfterExtra = hujson.Extra{}
	}
}

// compactEmpty turns the blank inside an emptied container into nothing, so
// it packs as {} or [].
func compactEmpty(after *hujson.Extra) {
	if strings.Trim(string(*after), " \t\r\n") == "" {
		*after = nil
	}
}

// standard decodes a value (comments and all) into v.
func standard(val hujson.Value, v any) error {
	b, err := hujson.Standardize(val.Pack())
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// sameJSON reports whether a value in the file means the same as v.
func sameJSON(val hujson.Value, v any) bool {
	var have, want any
	if standard(val, &have) != nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil || json.Unmarshal(b, &want) != nil {
		return false
	}
	return jsonEqual(have, want)
}

func jsonEqual(a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}
