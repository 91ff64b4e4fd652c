package redact

import (
	"strings"
	"testing"
)

// Secrets used by the tests. They are made up; none was ever valid.
const (
	ghToken   = "ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	jwt       = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)

func TestString(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		// The examples.
		"push with a token in the url": {"git push https://user:" + ghToken + "@github.com/o/r.git main --force", "git push https://user:ghp_***@github.com/o/r.git main --force"},
		"target with a password":       {"https://user:hunter2@github.com/o/r.git main", "https://user:***@github.com/o/r.git main"},
		"gitlab oauth2 clone":          {"git clone https://oauth2:glpat-abcdefghijklmnopqrst@gitlab.com/o/r.git", "git clone https://oauth2:glpat-***@gitlab.com/o/r.git"},
		"access token in a query":      {`curl "https://api.example.com/x?access_token=abc123&page=2"`, `curl "https://api.example.com/x?access_token=***&page=2"`},

		// URLs.
		"postgres url":            {"psql postgres://app:pa55w0rd@db:5432/app", "psql postgres://app:***@db:5432/app"},
		"redis url without user":  {"redis-cli -u redis://:s3cret@cache:6379", "redis-cli -u redis://:***@cache:6379"},
		"token as the user":       {"git clone https://0123456789abcdef0123456789abcdef01234567@github.com/o/r", "git clone https://***@github.com/o/r"},
		"plain user kept":         {"git clone ssh://git@github.com/o/r", "git clone ssh://git@github.com/o/r"},
		"port kept":               {"curl https://example.com:8443/x", "curl https://example.com:8443/x"},
		"fragment token":          {"https://app.example.com/cb#access_token=xyz&state=1", "https://app.example.com/cb#access_token=***&state=1"},
		"signed url":              {"https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDX&X-Amz-Signature=abcdef&X-Amz-Expires=60", "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60"},
		"azure sas":               {"https://a.blob.core.windows.net/c?sv=2022-11-02&sig=AbC%2Bd", "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=***"},
		"oauth code":              {"https://x.example/cb?code=4/0AbCd&state=xyz", "https://x.example/cb?code=***&state=xyz"},
		"api key param":           {"https://maps.example.com/api?key=abc&q=paris", "https://maps.example.com/api?key=***&q=paris"},
		"harmless params kept":    {"https://example.com/search?q=token&page=2", "https://example.com/search?q=token&page=2"},
		"slack webhook":           {"curl https://hooks.slack.com/services/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", "curl https://hooks.slack.com/services/T0AB12CD3/B0XY98ZW7/***"},
		"discord webhook":         {"https://discord.com/api/webhooks/123456/AbCdEf-gh_ij", "https://discord.com/api/webhooks/123456/***"},
		"telegram bot":            {"https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage", "https://api.telegram.org/bot123456:***/sendMessage"},
		"variable password kept":  {"git push https://user:$TOKEN@github.com/o/r", "git push https://user:$TOKEN@github.com/o/r"},
		"url cut before the host": {"git push https://user:hunt…", "git push https://user:***…"},

		// Assignments and environment.
		"pgpassword":           {"PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=*** psql -h db"},
		"export quoted":        {"export PGPASSWORD='s3cret pw'; psql -h db", "export PGPASSWORD='***'; psql -h db"},
		"env token":            {"env GITHUB_TOKEN=abc123 gh pr list", "env GITHUB_TOKEN=*** gh pr list"},
		"token keeps shape":    {"DEPLOY_TOKEN=" + ghToken + " ./deploy.sh", "DEPLOY_TOKEN=ghp_*** ./deploy.sh"},
		"key suffix":           {"OPENAI_API_KEY=abc python run.py", "OPENAI_API_KEY=*** python run.py"},
		"secret suffix":        {"CLIENT_SECRET=abc ./run", "CLIENT_SECRET=*** ./run"},
		"aws secret key":       {"AWS_SECRET_ACCESS_KEY=" + awsSecret + " aws s3 ls", "AWS_SECRET_ACCESS_KEY=*** aws s3 ls"},
		"mysql pwd":            {"MYSQL_PWD=x mysql", "MYSQL_PWD=*** mysql"},
		"sshpass env":          {"SSHPASS=x sshpass -e ssh h", "SSHPASS=*** sshpass -e ssh h"},
		"password file kept":   {"PASSWORD_FILE=/run/secrets/db ./run", "PASSWORD_FILE=/run/secrets/db ./run"},
		"token url kept":       {"TOKEN_URL=https://auth.example.com/token ./run", "TOKEN_URL=https://auth.example.com/token ./run"},
		"key id kept":          {"AWS_ACCESS_KEY_ID=$ID aws s3 ls", "AWS_ACCESS_KEY_ID=$ID aws s3 ls"},
		"pwd kept":             {"PWD=/tmp ls", "PWD=/tmp ls"},
		"variable kept":        {"PASSWORD=$DB_PASS ./run", "PASSWORD=$DB_PASS ./run"},
		"substitution kept":    {"TOKEN=$(vault read -field=token secret/x) ./run", "TOKEN=$(vault read -field=token secret/x) ./run"},
		"inside bash -c":       {`bash -c "export TOKEN=abc && echo hi" && git push origin main`, `bash -c "export TOKEN=*** && echo hi" && git push origin main`},
		"unterminated quote":   {`API_KEY="abc def`, `API_KEY="***`},
		"json keys":            {`{"api_key": "abc123", "user": "x", "token":"t0k"}`, `{"api_key": "***", "user": "x", "token":"***"}`},
		"camel json key":       {`{"clientSecret":"abc","accessToken":"def"}`, `{"clientSecret":"***","accessToken":"***"}`},
		"yaml key":             {"password: hunter2\nuser: admin", "password: ***\nuser: admin"},
		"npmrc auth token":     {"npm config set //registry.npmjs.org/:_authToken=abc123", "npm config set //registry.npmjs.org/:_authToken=***"},
		"azure connection":     {"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc+def==;EndpointSuffix=x", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=***;EndpointSuffix=x"},
		"comparison kept":      {"[ $TOKEN == x ]", "[ $TOKEN == x ]"},
		"form data":            {"curl -d 'user=a&password=b' https://x", "curl -d 'user=a&password=***' https://x"},
		"header authorization": {`curl -H "Authorization: Bearer abc.def" https://x`, `curl -H "Authorization: Bearer ***" https://x`},
		"header no scheme":     {`curl -H 'authorization: abc123' https://x`, `curl -H 'authorization: ***' https://x`},
		"header json":          {`{"Authorization": "Basic dXNlcjpwYXNz"}`, `{"Authorization": "Basic ***"}`},
		"header variable kept": {`curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com`, `curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com`},
		"cookie header":        {`curl -H "Cookie: session=abc; theme=dark" https://x`, `curl -H "Cookie: ***" https://x`},
		"api key header":       {`curl -H "X-Api-Key: abc123" https://x`, `curl -H "X-Api-Key: ***" https://x`},
		"private token header": {`curl --header "PRIVATE-TOKEN: abc" https://gitlab.com/api`, `curl --header "PRIVATE-TOKEN: ***" https://gitlab.com/api`},
		"git extra header":     {`git -c http.extraHeader="Authorization: Basic dXNlcjpwYXNz" clone https://x`, `git -c http.extraHeader="Authorization: Basic ***" clone https://x`},
		"bare bearer":          {"wget --header=Bearer abcdefgh12345 https://x", "wget --header=Bearer *** https://x"},

		// Options.
		"password option":       {"mycli --password s3cret --host db", "mycli --password *** --host db"},
		"password equals":       {"mycli --password=s3cret --host db", "mycli --password=*** --host db"},
		"token option":          {"gh auth login --token abcdef123", "gh auth login --token ***"},
		"token option shape":    {"gh auth login --token " + ghToken, "gh auth login --token ghp_***"},
		"otp":                   {"npm publish --otp 123456", "npm publish --otp ***"},
		"client secret":         {"az login --client-secret abc", "az login --client-secret ***"},
		"quoted option value":   {`tool --passphrase "two words" -v`, `tool --passphrase "***" -v`},
		"password stdin kept":   {"docker login --password-stdin ghcr.io", "docker login --password-stdin ghcr.io"},
		"no password kept":      {"psql --no-password -h db app", "psql --no-password -h db app"},
		"show signature kept":   {"git log --show-signature HEAD~3", "git log --show-signature HEAD~3"},
		"key file kept":         {"curl --key client.pem https://x", "curl --key client.pem https://x"},
		"option then option":    {"mysql --password -h db", "mysql --password -h db"},
		"mysql -p":              {"mysql -u root -pS3cr3tPass -h db.prod -e 'select 1'", "mysql -u root -p*** -h db.prod -e 'select 1'"},
		"mysqldump -p":          {"mysqldump -uroot -phunter2 app > app.sql", "mysqldump -uroot -p*** app > app.sql"},
		"mysql -p prompts":      {"mysql -u root -p app", "mysql -u root -p app"},
		"-p of another command": {"mkdir -p build && mysql -pX1 app", "mkdir -p build && mysql -p*** app"},
		"mysql in bash -c":      {`bash -c "mysql -pX1 app"`, `bash -c "mysql -p*** app"`},
		"mysql path":            {"/usr/bin/mysql -pX1 app", "/usr/bin/mysql -p*** app"},
		"sshpass":               {"sshpass -p hunter2 ssh host", "sshpass -p *** ssh host"},
		"ssh-keygen":            {"ssh-keygen -t ed25519 -N 'my passphrase' -f key", "ssh-keygen -t ed25519 -N '***' -f key"},
		"ssh-keygen change":     {"ssh-keygen -p -P old -N new -f key", "ssh-keygen -p -P *** -N *** -f key"},
		"curl -u":               {"curl -u admin:hunter2 https://x", "curl -u admin:*** https://x"},
		"curl --user=":          {"curl --user=admin:hunter2 https://x", "curl --user=admin:*** https://x"},
		"curl -u prompts":       {"curl -u admin https://x", "curl -u admin https://x"},
		"httpie -a":             {"http -a admin:hunter2 GET https://x", "http -a admin:*** GET https://x"},
		"docker login":          {"docker login -u me -p hunter2 ghcr.io", "docker login -u me -p *** ghcr.io"},
		"docker run ports kept": {"docker run -p 8080:80 -u 0:0 nginx", "docker run -p 8080:80 -u 0:0 nginx"},
		"redis-cli -a":          {"redis-cli -a hunter2 ping", "redis-cli -a *** ping"},
		"az login":              {"az login --service-principal -u app -p hunter2 --tenant t", "az login --service-principal -u app -p *** --tenant t"},
		"zip -P":                {"zip -P hunter2 out.zip secret.txt", "zip -P *** out.zip secret.txt"},
		"7z -p":                 {"7z a -phunter2 out.7z dir", "7z a -p*** out.7z dir"},
		"sqlcmd -P":             {"sqlcmd -S db -U sa -P hunter2 -Q 'select 1'", "sqlcmd -S db -U sa -P *** -Q 'select 1'"},
		"ldapsearch -w":         {"ldapsearch -x -D cn=admin -w hunter2 -b dc=x", "ldapsearch -x -D cn=admin -w *** -b dc=x"},
		"smbclient -U":          {"smbclient //srv/share -U admin%hunter2", "smbclient //srv/share -U admin%***"},
		"account key":           {"az storage blob upload --account-key abc --file x", "az storage blob upload --account-key *** --file x"},
		"oauth2 bearer":         {"curl --oauth2-bearer abc https://x", "curl --oauth2-bearer *** https://x"},
		"docker env":            {"docker run -e POSTGRES_PASSWORD=hunter2 postgres", "docker run -e POSTGRES_PASSWORD=*** postgres"},
		"helm set":              {"helm install x --set db.password=hunter2", "helm install x --set db.password=***"},
		"mongodb srv":           {`mongosh "mongodb+srv://app:hunter2@cluster0.example.net/db"`, `mongosh "mongodb+srv://app:***@cluster0.example.net/db"`},
		"access token user":     {"git remote set-url origin https://x-access-token:abc@github.com/o/r", "git remote set-url origin https://x-access-token:***@github.com/o/r"},
		"from-literal":          {"kubectl create secret generic db --from-literal=password=hunter2 --from-literal user=admin", "kubectl create secret generic db --from-literal=password=*** --from-literal user=***"},
		"gh secret body":        {"gh secret set API_KEY --body xyz", "gh secret set API_KEY --body ***"},
		"secrets set k=v":       {"fly secrets set DATABASE_URL=postgres://u:p@h/db MODE=x", "fly secrets set DATABASE_URL=*** MODE=***"},
		"vault login":           {"vault login hvs.CAESIJlWh0abcdefghijklmnopqrstuv", "vault login hvs.***"},
		"vault kv put":          {"vault kv put secret/app db=hunter2", "vault kv put secret/app db=***"},
		"git config password":   {"git config --global user.password hunter2", "git config --global user.password ***"},
		"aws configure":         {"aws configure set aws_secret_access_key abc", "aws configure set aws_secret_access_key ***"},
		"git config name kept":  {"git config user.name Alice", "git config user.name Alice"},
		"setenv":                {"setenv GITHUB_TOKEN abc", "setenv GITHUB_TOKEN ***"},
		"fish set":              {"set -gx API_KEY abc", "set -gx API_KEY ***"},
		"openssl pass:":         {"openssl enc -aes256 -passin pass:hunter2 -in x", "openssl enc -aes256 -passin pass:*** -in x"},
		"keytool":               {"keytool -importkeystore -storepass changeit -keypass changeit2", "keytool -importkeystore -storepass *** -keypass ***"},

		// Token shapes.
		"github classic in url": {"git clone https://" + ghToken + "@github.com/a/b", "git clone https://ghp_***@github.com/a/b"},
		"github fine-grained":   {"GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "GH=github_pat_***"},
		"gitlab":                {"echo glpat-abcdefghijklmnopqrst", "echo glpat-***"},
		"slack bot":             {"curl -d token=xoxb-1234567890-abcdefghij https://slack.com/api", "curl -d token=xoxb-*** https://slack.com/api"},
		"slack user":            {"echo xoxp-2222222222-abcdefabcdef", "echo xoxp-***"},
		"stripe live":           {"stripe --api-key sk_live_abcdefghijklmnop1234", "stripe --api-key sk_live_***"},
		"stripe restricted":     {"echo rk_test_abcdefghijklmnop", "echo rk_test_***"},
		"stripe webhook":        {"echo whsec_abcdefghijklmnopqrstuvwx", "echo whsec_***"},
		"openai":                {"OPENAI=sk-proj-abcdefghijklmnop1234 python run.py", "OPENAI=sk-proj-*** python run.py"},
		"anthropic":             {"echo sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", "echo sk-ant-***"},
		"aws access key id":     {"aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE", "aws configure set aws_access_key_id AKIA***"},
		"aws temporary key id":  {"echo ASIAIOSFODNN7EXAMPLE", "echo ASIA***"},
		"google api key":        {"echo AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "echo AIza***"},
		"npm":                   {"echo npm_abcdefghijklmnopqrstuvwxyz0123456789", "echo npm_***"},
		"hugging face":          {"echo hf_abcdefghijklmnopqrstuvwxyz01234567", "echo hf_***"},
		"sendgrid":              {"echo SG.abcdefghijklmnop.qrstuvwxyz0123456789", "echo SG.***"},
		"jwt":                   {"token " + jwt + " here", "token eyJ*** here"},
		"slack app":             {"echo xapp-1-A0123-456-abcdef", "echo xapp-***"},
		"gitlab runner":         {"echo GR1348941abcdefghijklmnopqrst", "echo GR1348941***"},
		"gitlab deploy":         {"echo gldt-abcdefghijklmnopqrst", "echo gldt-***"},
		"pypi":                  {"twine upload -p pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdo", "twine upload -p pypi-***"},
		"vault batch":           {"echo hvb.AAAAAQabcdefghijklmnopqrstuv", "echo hvb.***"},
		"digitalocean":          {"echo dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "echo dop_v1_***"},
		"shopify":               {"echo shpat_0123456789abcdef0123456789abcdef", "echo shpat_***"},
		"grafana":               {"echo glc_eyJvIjoiMTIzNDU2IiwibiI6InRva2VuIn0=", "echo glc_***"},
		"linear":                {"echo lin_api_abcdefghijklmnopqrstuvwxyz0123", "echo lin_api_***"},
		"atlassian":             {"echo ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz", "echo ATATT***"},
		"age":                   {"echo AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "echo AGE-SECRET-KEY-1***"},
		"anthropic admin":       {"echo sk-ant-admin01-abcdefghijklmnopqrstuvwxyz", "echo sk-ant-***"},
		"private key block":     {"echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----' > k", "echo '-----BEGIN OPENSSH PRIVATE KEY-----***-----END OPENSSH PRIVATE KEY-----' > k"},
		"private key one line":  {"printf -- '-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA -----END RSA PRIVATE KEY-----'", "printf -- '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----'"},
		"unterminated key":      {"cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", "cat <<EOF\n-----BEGIN RSA PRIVATE KEY-----***"},
		"pgp private key":       {"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----***-----END PGP PRIVATE KEY BLOCK-----"},
		"overlapping begin":     {"-----BEGIN -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----", "-----BEGIN -----BEGIN EC PRIVATE KEY-----***-----END EC PRIVATE KEY-----"},
		"key line alone":        {"echo OFgK8fSKofcYh/Uhni5z+z9hxsBuUn4e/I1NNJwHA1FHMLDRvCbPOhnxxJkI/fpj", "echo ***"},
		"mixed-case path kept":  {"cat src/components/ExampleProject2/Button", "cat src/components/ExampleProject2/Button"},
		"certificate kept":      {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		"token cut":             {"git push https://x.example/" + ghToken[:10] + "…", "git push https://x.example/ghp_***…"},

		// Random-looking runs.
		"long hex":            {"curl -H X-Sig:0123456789abcdef0123456789abcdef0123 https://x", "curl -H X-Sig:*** https://x"},
		"long base64":         {"echo dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSAxMjM0NTY3ODkw | base64 -d", "echo *** | base64 -d"},
		"base64 with slashes": {"aws-vault add x " + awsSecret, "aws-vault add x ***"},
		"commit hash kept":    {"git reset --hard 3f9c1a2b3f9c1a2b3f9c1a2b3f9c1a2b3f9c1a2b", "git reset --hard 3f9c1a2b3f9c1a2b3f9c1a2b3f9c1a2b3f9c1a2b"},
		"sha256 kept":         {"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},

		// What is not a secret stays as it is.
		"plain command":    {"rm -rf ./build", "rm -rf ./build"},
		"force push":       {"origin main", "origin main"},
		"long path":        {"cat /home/developer/projects/ExampleProject2/src/components/Button.tsx", "cat /home/developer/projects/ExampleProject2/src/components/Button.tsx"},
		"uuid":             {"claude --resume 550e8400-e29b-41d4-a716-446655440000", "claude --resume 550e8400-e29b-41d4-a716-446655440000"},
		"camel identifier": {"go test -run TestApproveCriticalRequestWithValidCode ./tui", "go test -run TestApproveCriticalRequestWithValidCode ./tui"},
		"sk- word":         {"pip install sk-learn-extra", "pip install sk-learn-extra"},
		"time":             {"at 12:30 tomorrow", "at 12:30 tomorrow"},
		"empty":            {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := String(tc.in)
			if got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := String(got); again != got {
				t.Errorf("not idempotent: String(%q) = %q", got, again)
			}
			if Contains(tc.in) != (tc.in != tc.want) {
				t.Errorf("Contains(%q) = %v", tc.in, Contains(tc.in))
			}
		})
	}
}

// TestNoAllocationWithoutSecret pins the hook path's common case: a target
// with nothing to hide costs no allocation.
func TestNoAllocationWithoutSecret(t *testing.T) {
	for _, s := range []string{"origin main", "/home/agentdev/src/webapp/internal/server/handler.go", "https://api.github.com/repos/o/r/pulls?page=2",
		"go test ./... && git add -A && git commit -m 'fix: the token refresh'"} {
		if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
			t.Errorf("String(%q): %v allocations", s, n)
		}
	}
}

func TestSecretName(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind nameKind
		want bool
	}{
		{"PGPASSWORD", kindVar, true}, {"GITHUB_TOKEN", kindVar, true}, {"API_KEY", kindVar, true},
		{"apiKey", kindVar, true}, {"APIKey", kindVar, true}, {"x-api-key", kindVar, true},
		{"client_secret", kindVar, true}, {"oauth2Token", kindVar, true}, {"_authToken", kindVar, true},
		{"aws_secret_access_key", kindVar, true}, {"MYSQL_PWD", kindVar, true}, {"SSHPASS", kindVar, true},
		{"PASSWORD_FILE", kindVar, false}, {"TOKEN_URL", kindVar, false}, {"aws_access_key_id", kindVar, false},
		{"SECRET_NAME", kindVar, false}, {"PUBLIC_KEY", kindVar, false}, {"PWD", kindVar, false},
		{"keyboard", kindVar, false}, {"monkey", kindVar, false}, {"bypass", kindVar, false}, {"max_tokens", kindVar, false},
		{"code", kindVar, false}, {"code", kindQuery, true}, {"session", kindQuery, true}, {"sig", kindQuery, true},
		{"key", kindOption, false}, {"api-key", kindOption, true}, {"password-stdin", kindOption, false},
		{"no-password", kindOption, false}, {"otp", kindOption, true}, {"storepass", kindOption, true},
		{"show-signature", kindOption, false}, {"", kindVar, false}, {strings.Repeat("a", 200) + "_TOKEN", kindVar, false},
	} {
		if got := secretName(tc.name, tc.kind); got != tc.want {
			t.Errorf("secretName(%q, %d) = %v, want %v", tc.name, tc.kind, got, tc.want)
		}
	}
}
