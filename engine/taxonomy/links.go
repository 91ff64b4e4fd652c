package taxonomy

import (
	"path/filepath"
	"strings"

	"github.com/ony-dev/ony-tui/engine/shell"
)

// scriptLink is a symbolic link a command makes (ln -s TARGET LINK), which
// later paths of the same command go through.
type scriptLink struct {
	from string // the link, absolute
	to   string // where it leads, absolute; "" when computed at run time
}

// maxScriptLinks bounds the links followed within one command.
const maxScriptLinks = 64

// workDirs returns the directories a command works in: where it runs, or
// the value of its program's dir_flags (git -C, tar -C, unzip -d), which
// relative paths and the working-directory role resolve against. It is nil
// when that directory is computed at run time.
func (x *callCtx) workDirs(view *cmdView) []string {
	dirs := view.cmd.Dirs
	if view.info == nil || view.info.dirFlags == nil {
		return dirs
	}
	for _, f := range view.av.flags {
		if f.value == nil || !hasAnyFlag(f.name, view.info.dirFlags) {
			continue
		}
		w := f.value
		if !w.Static || !w.Anchored || w.Glob {
			return nil
		}
		if filepath.IsAbs(w.Value) {
			dirs = []string{filepath.Clean(w.Value)}
			continue
		}
		next := make([]string, 0, len(dirs))
		for _, d := range dirs {
			next = append(next, filepath.Join(d, w.Value))
		}
		dirs = next
	}
	return dirs
}

// addLinks records the symbolic links an ln -s command makes: the last
// operand (or the -t directory) is the link, the other operands the
// targets. A target is relative to the link's directory, as the kernel
// reads it. Each target is checked as a tree read: a link into a place
// makes all of it reachable.
func (x *callCtx) addLinks(view *cmdView, v *verdict) {
	av := &view.av
	if !av.hasAny([]string{"-s", "--symbolic"}) || len(av.pos) == 0 {
		return
	}
	cmd := view.cmd
	targets := av.pos
	var dirWord *shell.Word
	for _, f := range av.flags {
		if f.value != nil && (f.name == "-t" || f.name == "--target-directory") {
			dirWord = f.value
		}
	}
	var names []*shell.Word // the links, or nil for "the base name in dir"
	if dirWord == nil && len(targets) > 1 {
		names = append(names, &cmd.Args[targets[len(targets)-1]])
		targets = targets[:len(targets)-1]
	}
	for _, base := range cmd.Dirs {
		abs := func(w *shell.Word) (string, bool) {
			if !w.Static || !w.Anchored || w.Glob {
				return "", false
			}
			if filepath.IsAbs(w.Value) {
				return filepath.Clean(w.Value), true
			}
			return filepath.Join(base, w.Value), true
		}
		for _, i := range targets {
			t := &cmd.Args[i]
			var links []string
			switch {
			case dirWord != nil:
				if d, ok := abs(dirWord); ok {
					links = append(links, filepath.Join(d, filepath.Base(t.Value)))
				}
			case names != nil:
				if l, ok := abs(names[0]); ok {
					// LINK, or LINK/TARGET when LINK is a directory.
					links = append(links, l, filepath.Join(l, filepath.Base(t.Value)))
				}
			default:
				links = append(links, filepath.Join(base, filepath.Base(t.Value)))
			}
			for _, l := range links {
				to := ""
				if t.Static && t.Anchored && !t.Glob {
					to = t.Value
					if !filepath.IsAbs(to) {
						to = filepath.Join(filepath.Dir(l), to)
					}
					to = filepath.Clean(to)
				}
				if len(x.links) < maxScriptLinks {
					x.links = append(x.links, scriptLink{from: l, to: to})
				}
				if to != "" {
					w := shell.Word{Value: to, Text: t.Text, Static: true, Anchored: true}
					x.checkPath(&w, nil, accRead|accTree, v)
				} else {
					x.checkPath(t, nil, accRead|accTree, v)
				}
			}
		}
	}
}

// viaLinks returns where abs leads through a link made earlier in the same
// command: the last such link wins, as it replaced the earlier ones. It
// reports "" and true when the link's target is computed at run time.
func (x *callCtx) viaLinks(abs string) (string, bool) {
	for i := len(x.links) - 1; i >= 0; i-- {
		l := x.links[i]
		if !within(abs, l.from) {
			continue
		}
		if l.to == "" {
			return "", true
		}
		return filepath.Join(l.to, strings.TrimPrefix(abs, l.from)), true
	}
	return "", false
}
