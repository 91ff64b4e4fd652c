package redact

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperNum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits    = "0123456789"
	base64url = alnum + "-_"
	base64std = alnum + "+/"
)

// randomOf returns n random characters of set.
func randomOf(r *rand.Rand, set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}

// planted is a secret in the text that carries it.
type planted struct {
	text    string
	secrets []string // what must not survive
}

// secretShapes returns one generator per shape the package promises to
// mask, as docs/TAXONOMY.md lists them.
func secretShapes() []func(r *rand.Rand) planted {
	one := func(text, secret string) planted { return planted{text, []string{secret}} }
	return []func(r *rand.Rand) planted{
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 36); return one("ghp_"+s, s) },
		func(r *rand.Rand) planted {
			a, b := randomOf(r, alnum, 22), randomOf(r, alnum, 59)
			return planted{"github_pat_" + a + "_" + b, []string{a, b}}
		},
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 20); return one("glpat-"+s, s) },
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 24)
			return one("xoxb-"+randomOf(r, digits, 10)+"-"+randomOf(r, digits, 12)+"-"+s, s)
		},
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 24); return one("sk_live_"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 40); return one("sk-proj-"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, base64url, 80); return one("sk-ant-api03-"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, upperNum, 16); return one("AKIA"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, base64url, 35); return one("AIza"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 36); return one("npm_"+s, s) },
		func(r *rand.Rand) planted { s := randomOf(r, alnum, 34); return one("hf_"+s, s) },
		func(r *rand.Rand) planted {
			p, sig := randomOf(r, base64url, 30), randomOf(r, base64url, 43)
			return planted{"eyJ" + randomOf(r, base64url, 20) + ".eyJ" + p + "." + sig, []string{p, sig}}
		},
		func(r *rand.Rand) planted {
			a, b := randomOf(r, base64std, 64), randomOf(r, base64std, 40)
			sep := []string{"\n", " ", "\r\n"}[r.IntN(3)]
			label := []string{"RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "PGP PRIVATE KEY BLOCK"}[r.IntN(5)]
			return planted{"-----BEGIN " + label + "-----" + sep + a + sep + b + sep + "-----END " + label + "-----", []string{a, b}}
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 8+r.IntN(16))
			return one("https://deploy:"+s+"@github.com/o/r.git", s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 16)
			name := []string{"access_token", "token", "api_key", "sig", "code", "password", "client_secret"}[r.IntN(7)]
			return one("https://api.example.com/x?page=1&"+name+"="+s+"&y=2", s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 16)
			return one("https://app.example.com/cb#id_token="+s, s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 12+r.IntN(12))
			name := []string{"PGPASSWORD", "GITHUB_TOKEN", "API_KEY", "DB_SECRET", "MYSQL_PWD", "aws_secret_access_key"}[r.IntN(6)]
			pre := []string{"", "export ", "env "}[r.IntN(3)]
			q := []string{"", "'", `"`}[r.IntN(3)]
			return one(pre+name+"="+q+s+q, s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 12)
			form := []string{"--password %", "--password=%", "--token %", "--otp %", "--client-secret %", "mysql -u root -p%",
				"curl -u admin:%", "ssh-keygen -N %", "sshpass -p %", "docker login -u me -p %", "redis-cli -a %",
				"--from-literal=k=%", "--from-literal k=%", "-storepass %", "git config user.password %", "-passin pass:%"}[r.IntN(16)]
			return one(strings.ReplaceAll(form, "%", s), s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 20)
			form := []string{`-H 'Authorization: Bearer %'`, `-H "Authorization: Basic %"`, `{"api_key": "%"}`,
				`{"Authorization": "Bearer %"}`, `-H "Cookie: session=%"`, `-H "X-Api-Key: %"`}[r.IntN(6)]
			return one(strings.ReplaceAll(form, "%", s), s)
		},
		func(r *rand.Rand) planted {
			s := randomOf(r, alnum, 24)
			return one("https://hooks.slack.com/services/T"+randomOf(r, upperNum, 8)+"/B"+randomOf(r, upperNum, 8)+"/"+s, s)
		},
		func(r *rand.Rand) planted { s := randomOf(r, base64std, 40); return one("AWS_SECRET_ACCESS_KEY="+s, s) },
	}
}

// FuzzPlantedSecrets plants random secrets of every shape at random
// positions of random text and checks that none survives, that the result
// redacts to itself and stays valid UTF-8. Each secret is planted as a
// word of its own: a secret glued to the text around it is another word.
func FuzzPlantedSecrets(f *testing.F) {
	f.Add("git push origin main --force", uint64(1))
	f.Add(`bash -c "echo 'unbalanced`, uint64(2))
	f.Add("curl -H 'X: \"y' https://x?a=b&c=d#e", uint64(3))
	f.Add("mysql -e \"select 1; \" && sshpass -p", uint64(4))
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n", uint64(5))
	f.Add("TOKEN=\"abc\\\" set vault login --token", uint64(6))
	f.Add("\x00\xff\xfe…", uint64(7))
	shapes := secretShapes()
	f.Fuzz(func(t *testing.T, carrier string, seed uint64) {
		if len(carrier) > 4096 {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		n := 1 + r.IntN(4)
		cuts := make([]int, n)
		for i := range cuts {
			cuts[i] = r.IntN(len(carrier) + 1)
		}
		slices.Sort(cuts)
		var b strings.Builder
		var secrets []string
		last := 0
		for _, c := range cuts {
			p := shapes[r.IntN(len(shapes))](r)
			b.WriteString(carrier[last:c])
			b.WriteString([]string{" ", "\n", "\t", "; "}[r.IntN(4)])
			b.WriteString(p.text)
			b.WriteString([]string{" ", "\n", "\t", " && "}[r.IntN(4)])
			last = c
			secrets = append(secrets, p.secrets...)
		}
		b.WriteString(carrier[last:])
		in := b.String()
		out := String(in)
		for _, s := range secrets {
			if !strings.Contains(carrier, s) && strings.Contains(out, s) {
				t.Fatalf("secret %q survived\n in: %q\nout: %q", s, in, out)
			}
		}
		if again := String(out); again != out {
			t.Fatalf("not idempotent\n in: %q\nout: %q\nagain: %q", in, out, again)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input\n in: %q\nout: %q", in, out)
		}
	})
}

// FuzzString checks any text: no panic, idempotent, valid UTF-8 kept, and
// nothing left that Contains would report.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a=b", "TOKEN=", `"k": "`, "https://u:p@h", "-----BEGIN PRIVATE KEY-----", "eyJa.b", "…", "x…",
		"ghp_" + strings.Repeat("a", 19) + "…", "'\"`", "mysql -p'", "--password", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := String(in)
		if again := String(out); again != out {
			t.Fatalf("not idempotent\n in: %q\nout: %q\nagain: %q", in, out, again)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input\n in: %q\nout: %q", in, out)
		}
		if Contains(out) {
			t.Fatalf("Contains(String(%q))", in)
		}
		if len(out) > 3*len(in)+len(Mask) {
			t.Fatalf("output of %d bytes for %d", len(out), len(in))
		}
	})
}

// TestEveryShapeAlone plants each shape in a plain command, as a quick
// check that does not need the fuzzer.
func TestEveryShapeAlone(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i, gen := range secretShapes() {
		for range 50 {
			p := gen(r)
			for _, ctx := range []string{"%", "run % now", "echo \"%\"", "x; % && y", "'%'"} {
				in := strings.ReplaceAll(ctx, "%", p.text)
				out := String(in)
				for _, s := range p.secrets {
					if strings.Contains(out, s) {
						t.Fatalf("shape %d: secret survived\n in: %q\nout: %q", i, in, out)
					}
				}
			}
		}
	}
}
