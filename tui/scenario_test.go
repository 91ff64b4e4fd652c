package tui

import (
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// busySpecs are waiting requests of every risk from every harness. The
// first, selected by default, carries a token the detail must mask; the
// second's classifier puts a password in the target, which the engine
// must redact before the console sees it.
func busySpecs() []spec {
	return []spec{
		{harness: "claude", session: "sess_claude_prod_api_0427", hint: "low",
			command: "DEPLOY_TOKEN=ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI ./scripts/deploy.sh production --force",
			class:   engine.Classification{Action: "deploy.production", Title: "Deploy to production", Risk: risk.Critical, Target: "env/production", Matcher: "shell: scripts/deploy.sh production"}},
		{harness: "codex", session: "019a2c4e-codex-7f3b",
			command: "git push --force https://dev:hunter2@github.com/acme/api.git main",
			class:   engine.Classification{Action: "git.push.force", Title: "Force-push to main", Risk: risk.High, Target: "https://dev:hunter2@github.com/acme/api.git main", Matcher: "shell: git push --force"}},
		{harness: "cursor", session: "cursor-b81f",
			command: `mysql -u root -pS3cr3tPass -h db.prod.internal -e "DROP TABLE users"`,
			class:   engine.Classification{Action: "db.drop", Title: "Drop a production table", Risk: risk.Critical, Target: "db.prod.internal/users", Matcher: "shell: mysql DROP"}},
		{harness: "gemini", session: "gemini-5521",
			command: "rm -rf ./build /var/lib/app/uploads",
			class:   engine.Classification{Action: "fs.delete.recursive", Title: "Recursive delete", Risk: risk.High, Target: "/var/lib/app/uploads", Matcher: "shell: rm -rf"}},
		{harness: "copilot", session: "copilot-aa01", hint: "low",
			command: "npm publish --access public",
			class:   engine.Classification{Action: "package.publish", Title: "Publish a package", Risk: risk.Medium, Target: "npm @acme/api", Matcher: "shell: npm publish"}},
		{harness: "claude", session: "sess_claude_prod_api_0427", tool: "WebFetch", kind: wire.KindWebFetch,
			url:   "https://api.example.com/v1/status?token=abc123def",
			class: engine.Classification{Action: "network.fetch", Title: "Fetch a URL", Risk: risk.Medium, Target: "api.example.com", Matcher: "web_fetch: external"}},
		{harness: "claude", session: "sess_claude_prod_api_0427", tool: "Read", kind: wire.KindFileRead,
			paths: []string{"docs/notes.md"},
			class: engine.Classification{Action: "fs.read", Title: "Read a file", Risk: risk.Low, Target: "docs/notes.md", Matcher: "file_read: project"}},
		{harness: "codex", session: "019a2c4e-codex-7f3b", tool: "shell", command: "ls -la src",
			class: engine.Classification{Action: "fs.list", Title: "List a directory", Risk: risk.Low, Target: "src", Matcher: "shell: ls"}},
	}
}

// busy submits busySpecs seven seconds apart and moves the clock five
// seconds past the last.
func (f *fixture) busy() {
	f.t.Helper()
	for i, s := range busySpecs() {
		if i > 0 {
			f.clk.Add(7 * time.Second)
		}
		f.submit(s)
	}
	f.clk.Add(5 * time.Second)
	f.refresh()
	f.loadChain()
}

// highSpec and critSpec are single requests for the key-path tests.
func highSpec() spec {
	return spec{session: "s1", command: "git push --force origin main",
		class: engine.Classification{Action: "git.push.force", Title: "Force-push to main", Risk: risk.High, Target: "origin/main", Matcher: "shell: git push --force"}}
}

func critSpec() spec {
	return spec{session: "s2", command: "./deploy.sh production",
		class: engine.Classification{Action: "deploy.production", Title: "Deploy to production", Risk: risk.Critical, Target: "env/production", Matcher: "shell: deploy.sh"}}
}
