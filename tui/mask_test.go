package tui

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	mk := newMasker()
	for name, tc := range map[string]struct{ in, want string }{
		"github classic token":     {"git clone https://ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI@github.com/a/b", "git clone https://ghp_****@github.com/a/b"},
		"github fine-grained":      {"GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "GH=github_pat_****"},
		"github token in env":      {"DEPLOY_TOKEN=ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI ./deploy.sh", "DEPLOY_TOKEN=ghp_**** ./deploy.sh"},
		"slack bot token":          {"curl -d token=xoxb-1234567890-abcdefghij https://slack.com/api", "curl -d token=xoxb-**** https://slack.com/api"},
		"slack user token":         {"export SLACK=xoxp-2222222222-abcdefabcdef", "export SLACK=xoxp-****"},
		"openai key":               {"OPENAI=sk-proj-abcdefghijklmnop1234 python run.py", "OPENAI=sk-**** python run.py"},
		"aws access key id":        {"aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE", "aws configure set aws_access_key_id AKIA****"},
		"aws secret access key":    {"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls", "AWS_SECRET_ACCESS_KEY=**** aws s3 ls"},
		"password assignment":      {"psql password=hunter2 host=db", "psql password=**** host=db"},
		"password json":            {`{"api_key": "abc123", "user": "x"}`, `{"api_key": ****, "user": "x"}`},
		"password quoted":          {`DB_PASSWORD='correct horse' ./migrate`, `DB_PASSWORD=**** ./migrate`},
		"password flag spaced":     {"mycli --password s3cret --host db", "mycli --password **** --host db"},
		"password flag equals":     {"mycli --password=s3cret --host db", "mycli --password=**** --host db"},
		"token flag":               {"gh auth login --token abcdef123", "gh auth login --token ****"},
		"mysql -p":                 {"mysql -u root -pS3cr3tPass -h db.prod -e 'select 1'", "mysql -u root -p**** -h db.prod -e 'select 1'"},
		"mysqldump -p":             {"mysqldump -uroot -phunter2 app > app.sql", "mysqldump -uroot -p**** app > app.sql"},
		"mysql -p prompts":         {"mysql -u root -p app", "mysql -u root -p app"},
		"-p of another command":    {"mkdir -p build && mysql -pX1 app", "mkdir -p build && mysql -p**** app"},
		"authorization bearer":     {`curl -H "Authorization: Bearer eyJhbGciOi.abc.def" https://x`, `curl -H "Authorization: Bearer ****" https://x`},
		"authorization no scheme":  {`curl -H 'authorization: abc123' https://x`, `curl -H 'authorization: ****' https://x`},
		"bare bearer":              {"wget --header=Bearer abcdefgh12345 https://x", "wget --header=Bearer **** https://x"},
		"basic auth curl -u":       {"curl -u admin:hunter2 https://x", "curl -u admin:**** https://x"},
		"url credentials":          {"git push https://dev:hunter2@github.com/acme/api.git main", "git push https://dev:****@github.com/acme/api.git main"},
		"postgres url":             {"psql postgres://app:pa55w0rd@db:5432/app", "psql postgres://app:****@db:5432/app"},
		"private key block":        {"echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----' > k", "echo '-----BEGIN OPENSSH PRIVATE KEY-----****-----END OPENSSH PRIVATE KEY-----' > k"},
		"unterminated private key": {"cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", "cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----****-----END RSA PRIVATE KEY-----"},
		"long hex":                 {"curl -H X-Sig:0123456789abcdef0123456789abcdef0123 https://x", "curl -H X-Sig:**** https://x"},
		"long base64":              {"echo dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSAxMjM0NTY3ODkw | base64 -d", "echo **** | base64 -d"},
		"base64 with slashes":      {"aws-vault add x wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-vault add x ****"},
		"secret in a url path":     {"curl https://hooks.example.com/services/T0AB12CD3/B0XY98ZW7/aB3dE5fG7hJ9kL1mN3pQ5rS7tV9xZ1bD3", "curl https://hooks.example.com/services/T0AB12CD3/B0XY98ZW7/****"},
		// Things that are not secrets stay as they are.
		"plain command":     {"rm -rf ./build", "rm -rf ./build"},
		"long path":         {"cat /home/developer/projects/ExampleProject2/src/components/Button.tsx", "cat /home/developer/projects/ExampleProject2/src/components/Button.tsx"},
		"uuid":              {"claude --resume 550e8400-e29b-41d4-a716-446655440000", "claude --resume 550e8400-e29b-41d4-a716-446655440000"},
		"camel identifier":  {"go test -run TestApproveCriticalRequestWithValidCode ./tui", "go test -run TestApproveCriticalRequestWithValidCode ./tui"},
		"short flag values": {"ls -la src", "ls -la src"},
		"empty":             {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := mk.mask(tc.in); got != tc.want {
				t.Errorf("mask(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestMaskNeverLeaks checks that no secret of the busy scenario reaches
// the screen, whichever request is selected.
func TestMaskNeverLeaks(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.size(160, 48)
	f.busy()
	for i := range busySpecs() {
		f.m.queue.moveTo(i)
		f.refresh()
		r, _ := f.m.queue.current()
		s := f.screen() + strings.Join(detailLines(&r, &f.m.styles, f.m.mask, 200), "\n")
		for _, secret := range []string{"R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI", "hunter2", "S3cr3tPass", "abc123def"} {
			if strings.Contains(s, secret) {
				t.Fatalf("request %d: secret %q shown:\n%s", i, secret, s)
			}
		}
	}
}
