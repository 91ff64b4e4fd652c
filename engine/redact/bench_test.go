package redact

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkTarget redacts typical targets: most hold no secret.
func BenchmarkTarget(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"clean", "origin main"},
		{"clean-path", "/home/agentdev/src/webapp/internal/server/handler.go"},
		{"clean-url", "https://api.github.com/repos/acme/api/pulls?page=2"},
		{"secret-url", "https://user:" + ghToken + "@github.com/o/r.git main"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.in)))
			for b.Loop() {
				String(tc.in)
			}
		})
	}
}

// BenchmarkAdversarial redacts each adversarial input at two sizes: the
// time per byte must not grow with the size (linear).
func BenchmarkAdversarial(b *testing.B) {
	for _, n := range []int{4 << 10, 256 << 10} {
		for name, in := range adversarial(n) {
			b.Run(fmt.Sprintf("%s/%dKiB", name, n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					String(in)
				}
			})
		}
	}
}

// BenchmarkDenseCommand redacts a 60 KiB command dense with secrets.
func BenchmarkDenseCommand(b *testing.B) {
	unit := `curl -fsS -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" ` +
		`"https://deploy:hunter2@api.example.com/v1/x?access_token=abc123&page=2" -o out.json && ` +
		`PGPASSWORD=pw psql -h db -c 'select 1' && git push https://u:` + ghToken + `@github.com/o/r main; `
	in := strings.Repeat(unit, (60<<10)/len(unit))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		String(in)
	}
}
