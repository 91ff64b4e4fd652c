package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tailscale/hujson"
)

// eventItem is Ony's entry for one event.
type eventItem struct {
	event string
	item  any
}

// found is one of Ony's handlers in a file.
type found struct {
	event string
	info  handlerInfo
	// item is the array element holding the handler (its group, or the
	// handler itself), and pure says that element holds nothing but it.
	item hujson.Value
	pure bool
}

// hooksOf returns the root's "hooks" object, nil when there is none.
func hooksOf(d *doc) (*hujson.Object, error) {
	i := member(d.rootObject(), "hooks")
	if i < 0 {
		return nil, nil
	}
	v := d.rootObject().Members[i].Value
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil, fmt.Errorf(`"hooks" is %s, want an object`, kindName(v))
	}
	return obj, nil
}

// handlersOf returns the handler objects an array element holds: the
// element itself, or for grouped harnesses its "hooks" array.
func handlersOf(t *target, elem *hujson.Value) (*hujson.Array, []*hujson.Value) {
	if !t.grouped {
		return nil, []*hujson.Value{elem}
	}
	obj, ok := elem.Value.(*hujson.Object)
	if !ok {
		return nil, nil
	}
	i := member(obj, "hooks")
	if i < 0 {
		return nil, nil
	}
	arr, ok := obj.Members[i].Value.Value.(*hujson.Array)
	if !ok {
		return nil, nil
	}
	out := make([]*hujson.Value, len(arr.Elements))
	for j := range arr.Elements {
		out[j] = &arr.Elements[j]
	}
	return arr, out
}

// infoOf reads a handler object; ok is false for anything that is not one.
func infoOf(t *target, h *hujson.Value) (handlerInfo, bool) {
	if _, isObj := h.Value.(*hujson.Object); !isObj {
		return handlerInfo{}, false
	}
	var m map[string]any
	if standard(*h, &m) != nil {
		return handlerInfo{}, false
	}
	return t.info(m), true
}

// scan lists Ony's handlers, event by event in file order.
func scan(d *doc, t *target, binary string) ([]found, error) {
	hooks, err := hooksOf(d)
	if hooks == nil || err != nil {
		return nil, err
	}
	var out []found
	for mi := range hooks.Members {
		arr, ok := hooks.Members[mi].Value.Value.(*hujson.Array)
		if !ok {
			continue
		}
		for ei := range arr.Elements {
			_, handlers := handlersOf(t, &arr.Elements[ei])
			for _, h := range handlers {
				if info, ok := infoOf(t, h); ok && info.ours(t, binary) {
					out = append(out, found{event: memberName(&hooks.Members[mi]), info: info,
						item: arr.Elements[ei], pure: len(handlers) == 1})
				}
			}
		}
	}
	return out, nil
}

// removeOurs deletes Ony's handlers from the array; a group left with no
// handlers goes too. It reports whether it removed anything.
func removeOurs(t *target, arr *hujson.Array, binary string) bool {
	removed := false
	for ei := len(arr.Elements) - 1; ei >= 0; ei-- {
		elem := &arr.Elements[ei]
		if !t.grouped {
			if info, ok := infoOf(t, elem); ok && info.ours(t, binary) {
				removeElement(arr, ei)
				removed = true
			}
			continue
		}
		inner, handlers := handlersOf(t, elem)
		hit := false
		for hi := len(handlers) - 1; hi >= 0; hi-- {
			if info, ok := infoOf(t, handlers[hi]); ok && info.ours(t, binary) {
				removeElement(inner, hi)
				hit = true
			}
		}
		if hit {
			removed = true
			if len(inner.Elements) == 0 {
				removeElement(arr, ei)
			}
		}
	}
	return removed
}

// apply makes the document hold exactly want as Ony's entries: an entry that
// already says the same is left alone, anything else of Ony's is removed, and
// missing entries are appended after the user's own. Containers Ony's
// removals leave empty are removed.
func apply(d *doc, t *target, want []eventItem, binary string) error {
	hooks, err := hooksOf(d)
	if err != nil {
		return err
	}
	wanted := func(ev string) (any, bool) {
		for _, w := range want {
			if w.event == ev {
				return w.item, true
			}
		}
		return nil, false
	}
	if hooks != nil {
		removedAny := false
		hooksIndent := d.memberIndent(d.rootObject(), "hooks", "")
		for mi := len(hooks.Members) - 1; mi >= 0; mi-- {
			m := &hooks.Members[mi]
			item, isWanted := wanted(memberName(m))
			arr, isArray := m.Value.Value.(*hujson.Array)
			if !isArray {
				if isWanted {
					return fmt.Errorf("hooks.%s is %s, want an array", memberName(m), kindName(m.Value))
				}
				continue
			}
			if isWanted && holdsExactly(t, arr, item, binary) {
				continue
			}
			removed := removeOurs(t, arr, binary)
			removedAny = removedAny || removed
			if isWanted {
				if err := d.appendChild(arrayContainer(arr), d.memberIndent(hooks, memberName(m), hooksIndent), item); err != nil {
					return err
				}
			} else if removed && len(arr.Elements) == 0 {
				removeMember(hooks, mi)
			}
		}
		for _, w := range want {
			if member(hooks, w.event) >= 0 {
				continue
			}
			if err := d.appendChild(objectContainer(hooks, w.event), hooksIndent, []any{w.item}); err != nil {
				return err
			}
		}
		if removedAny && len(hooks.Members) == 0 {
			removeMember(d.rootObject(), member(d.rootObject(), "hooks"))
		}
		return nil
	}
	if len(want) == 0 {
		return nil
	}
	obj := make(orderedObject, 0, len(want))
	for _, w := range want {
		obj = append(obj, kv{w.event, []any{w.item}})
	}
	return d.appendChild(objectContainer(d.rootObject(), "hooks"), "", obj)
}

// holdsExactly reports whether Ony's only handler in arr is a pure entry
// that says the same as item.
func holdsExactly(t *target, arr *hujson.Array, item any, binary string) bool {
	var ours []int
	for ei := range arr.Elements {
		_, handlers := handlersOf(t, &arr.Elements[ei])
		for _, h := range handlers {
			if info, ok := infoOf(t, h); ok && info.ours(t, binary) {
				ours = append(ours, ei)
			}
		}
	}
	return len(ours) == 1 && sameJSON(arr.Elements[ours[0]], item)
}

// memberIndent is the indentation of the line a member's name starts on.
func (d *doc) memberIndent(obj *hujson.Object, name, parentIndent string) string {
	if i := member(obj, name); i >= 0 {
		if ind, ok := lineIndent(obj.Members[i].Name.BeforeExtra); ok {
			return ind
		}
	}
	return parentIndent + d.unit
}

// kv and orderedObject encode an object with its keys in a given order.
type kv struct {
	key   string
	value any
}

type orderedObject []kv

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// wantFrom rebuilds the entries install wrote from the ones found in a file,
// so uninstall can replay install on a candidate original. ok is false when
// the entries are not exactly what install writes.
func wantFrom(t *target, fs []found) ([]eventItem, bool) {
	var want []eventItem
	for _, ev := range t.events {
		var mine []found
		for _, f := range fs {
			if f.event == ev {
				mine = append(mine, f)
			}
		}
		if len(mine) == 0 {
			continue
		}
		if len(mine) > 1 || !mine[0].pure {
			return nil, false
		}
		b, err := hujson.Standardize(mine[0].item.Pack())
		if err != nil {
			return nil, false
		}
		item, err := t.decodeItem(b)
		if err != nil {
			return nil, false
		}
		want = append(want, eventItem{ev, item})
	}
	for _, f := range fs {
		if !slices.Contains(t.events, f.event) {
			return nil, false
		}
	}
	return want, len(want) > 0
}
