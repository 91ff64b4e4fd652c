package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArchitectureNamesEveryPackage keeps docs/ARCHITECTURE.md true: every
// package of the module has a row in its table, and every row names a
// package that exists.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			if i := strings.Index(name, "` |"); i > 0 {
				rows[name[:i]] = true
			}
		}
	}
	pkgs := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && filepath.Dir(path) != "." {
			pkgs[filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range pkgs {
		if strings.Contains(p, "/cmd/") || strings.HasSuffix(p, "/internal/vectorgen") {
			continue // commands and generators of a package listed above them
		}
		if !rows[p] {
			t.Errorf("package %s has no row in docs/ARCHITECTURE.md", p)
		}
	}
	for r := range rows {
		if r != "main.go" && !pkgs[r] {
			t.Errorf("docs/ARCHITECTURE.md has a row for %s, which is not a package", r)
		}
	}
}
