package redact

import "strings"

// scope marks the commands seen in the current pipeline stage whose own
// options carry secrets.
type scope uint32

const (
	scMySQL    scope = 1 << iota // mysql and its tools: -p<password>
	scSSHPass                    // sshpass -p password
	scKeygen                     // ssh-keygen -N/-P passphrase
	scCurl                       // curl -u/-U/--user/--proxy-user user:password
	scHTTPie                     // httpie, xh: -a/--auth user:password
	scRedis                      // redis-cli -a password
	scMongo                      // mongo tools: -p password
	scRegistry                   // docker, podman, helm, ...
	scLogin                      // ... login -p password
	scVault                      // vault: login TOKEN, k=v values
	scSecrets                    // a secrets command: every k=v value, gh secret set -b/--body
	scSetter                     // set, setenv, config: NAME value
	scZip                        // zip, unzip: -P password
	sc7z                         // 7z: -p<password>
	scSQLCmd                     // sqlcmd, bcp: -P password
	scLDAP                       // ldapsearch and the other OpenLDAP tools: -w password
	scSMB                        // smbclient, rpcclient, smbmap: -U user%password
)

// pend says what the next word is.
type pend uint8

const (
	pendNone    pend = iota
	pendValue        // a secret
	pendColon        // user:secret
	pendPair         // key=secret
	pendToken        // a secret, unless it is an option (vault login TOKEN)
	pendPercent      // user%secret
)

// programScope returns the scope a command word opens.
func programScope(w string, sc scope) scope {
	switch w {
	case "mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow", "mysqlpump", "mysqlslap",
		"mysqlbinlog", "mysqlsh", "mariadb", "mariadb-dump", "mariadb-admin", "mariadb-import", "mariadb-check",
		"mariadb-show", "mariadb-slap", "mariadb-binlog":
		return scMySQL
	case "sshpass":
		return scSSHPass
	case "ssh-keygen":
		return scKeygen
	case "curl":
		return scCurl
	case "http", "https", "httpie", "xh", "xhs":
		return scHTTPie
	case "redis-cli", "valkey-cli", "keydb-cli":
		return scRedis
	case "mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat", "mongotop", "mongofiles":
		return scMongo
	case "docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "helm", "crane", "regctl", "finch", "az":
		return scRegistry
	case "zip", "unzip", "zipcloak":
		return scZip
	case "7z", "7za", "7zr":
		return sc7z
	case "sqlcmd", "bcp":
		return scSQLCmd
	case "ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldappasswd", "ldapwhoami", "ldapcompare", "ldapmodrdn", "ldapexop":
		return scLDAP
	case "smbclient", "rpcclient", "smbmap", "smbcacls", "net":
		return scSMB
	case "login":
		if sc&scRegistry != 0 {
			return scLogin
		}
	case "vault", "bao":
		return scVault
	case "secret", "secrets":
		return scSecrets
	case "set", "setenv", "config", "configure", "config:set":
		return scSetter
	}
	return 0
}

// words masks secrets that depend on the command they are given to: the
// option values of secret-named options (--password v, --token v, -storepass
// v), the short options of the commands in programScope, the values of
// secret names given as separate words (git config user.password v,
// setenv TOKEN v) and every value of a secrets command. A pipeline stage
// (;, |, &, (, ), a newline, outside quotes) ends the scopes.
func (x *scan) words() {
	s := x.s
	var sc scope
	next := pendNone
	var outer byte
	for i := 0; i < len(s); {
		c := s[i]
		if outer == 0 && (c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')') {
			sc, next = 0, pendNone
			i++
			continue
		}
		if isSpace(c) {
			i++
			continue
		}
		before := outer
		if next != pendNone {
			p := next
			next = pendNone
			if c == '-' || c == before {
				continue // an option, or the end of the quoted argument: no value
			}
			if end := x.pendingValue(i, p, before); end > i {
				// A value may also name a command (sshpass -p mysql
				// mysql -pX): its scope opens all the same.
				sc |= programScope(bareWord(s[i:end]), sc)
				i = end
				continue
			}
		}
		start := i
		for i < len(s) {
			c := s[i]
			if isSpace(c) || outer == 0 && (c == ';' || c == '|' || c == '&' || c == '(' || c == ')') {
				break
			}
			switch {
			case c == '"' || c == '\'' || c == '`':
				switch outer {
				case 0:
					outer = c
				case c:
					outer = 0
				}
			case c == '\\' && outer != '\'' && i+1 < len(s) && !isSpace(s[i+1]):
				// An escaped character; an escaped blank still
				// separates words here, so that an option is never
				// hidden in the word before it.
				i++
			}
			i++
		}
		i = min(i, len(s))
		if end, p := x.word(start, i, &sc, before); p != pendNone || end > i {
			next = p
			if end > i {
				i, outer = end, before
			}
		}
	}
}

// pendingValue masks the value word at s[i] as p says and returns where
// the walk goes on, or i when it did nothing.
func (x *scan) pendingValue(i int, p pend, outer byte) int {
	a, b, next := x.valueRange(i, false, outer)
	switch p {
	case pendColon:
		if c := strings.IndexByte(x.s[a:b], ':'); c >= 0 {
			x.value(a+c+1, b)
		}
	case pendPair:
		if e := strings.IndexByte(x.s[a:b], '='); e >= 0 {
			x.value(a+e+1, b)
		}
	case pendPercent:
		if e := strings.IndexByte(x.s[a:b], '%'); e >= 0 {
			x.value(a+e+1, b)
		}
	default:
		x.value(a, b)
	}
	return next
}

// word looks at the word s[start:end]. It returns what the next word is,
// and where the walk goes on when it masked a value that runs past end
// (else end).
func (x *scan) word(start, end int, sc *scope, outer byte) (int, pend) {
	s := x.s
	w := s[start:end]
	bare := bareWord(w)
	opt := w
	for len(opt) > 0 && (opt[0] == '"' || opt[0] == '\'' || opt[0] == '`' || opt[0] == '(') {
		opt = opt[1:]
	}
	if len(opt) > 1 && opt[0] == '-' {
		// An option, maybe at the start of a quoted argument: "--token v".
		return x.option(end-len(opt), end, *sc, outer)
	}
	if op := programScope(bare, *sc); op != 0 {
		vault := *sc&scVault != 0
		*sc |= op
		if vault && bare == "login" {
			return end, pendToken // vault login TOKEN
		}
		return end, pendNone
	}
	if *sc&scVault != 0 && bare == "login" {
		return end, pendToken
	}
	switch {
	case strings.HasPrefix(w, "pass:"):
		// openssl -passin pass:secret, -passout pass:secret
		a, b, next := x.valueRange(start+len("pass:"), false, outer)
		x.value(a, b)
		return next, pendNone
	case *sc&(scSecrets|scVault) != 0 && strings.IndexByte(w, '=') > 0:
		// fly secrets set K=V, vault kv put path k=v: every value.
		if e := strings.IndexByte(w, '='); e > 0 {
			a, b, next := x.valueRange(start+e+1, false, outer)
			x.value(a, b)
			return next, pendNone
		}
	case *sc&scSetter != 0 && plainName(w) && secretName(w, kindVar):
		return end, pendValue
	}
	return end, pendNone
}

// option looks at an option word: a secret-named option whose value is the
// next word, or a short option of a command in scope.
func (x *scan) option(start, end int, sc scope, outer byte) (int, pend) {
	s := x.s
	w := s[start:end]
	name, hasValue := w, false
	if e := strings.IndexByte(w, '='); e > 0 {
		name, hasValue = w[:e], true
	}
	// attached masks the value that starts at s[at].
	attached := func(at int, p pend) (int, pend) {
		if at >= end {
			return end, p // the value is the next word
		}
		return x.pendingValue(at, p, outer), pendNone
	}
	if long, ok := strings.CutPrefix(name, "--"); ok {
		p := pendNone
		switch {
		case long == "from-literal":
			p = pendPair
		case sc&scCurl != 0 && (long == "user" || long == "proxy-user"), sc&scHTTPie != 0 && long == "auth":
			p = pendColon
		case sc&scSecrets != 0 && long == "body":
			p = pendValue
		case !hasValue && secretName(long, kindOption):
			return end, pendValue
		}
		if p == pendNone {
			return end, pendNone
		}
		if hasValue {
			return attached(start+len(name)+1, p)
		}
		return end, p
	}
	short := name[1:]
	if hasValue {
		return end, pendNone
	}
	letter := short[0]
	at := start + 2
	switch {
	case sc&scMySQL != 0 && letter == 'p', sc&sc7z != 0 && letter == 'p':
		if at < end {
			return attached(at, pendValue) // -p alone prompts
		}
	case sc&(scZip|scSQLCmd) != 0 && letter == 'P', sc&scLDAP != 0 && letter == 'w':
		return attached(at, pendValue)
	case sc&scSMB != 0 && letter == 'U':
		return attached(at, pendPercent)
	case sc&(scSSHPass|scMongo|scLogin) != 0 && letter == 'p',
		sc&scKeygen != 0 && (letter == 'N' || letter == 'P'),
		sc&scRedis != 0 && letter == 'a',
		sc&scSecrets != 0 && letter == 'b':
		return attached(at, pendValue)
	case sc&scCurl != 0 && (letter == 'u' || letter == 'U'), sc&scHTTPie != 0 && letter == 'a':
		return attached(at, pendColon)
	case len(short) > 1 && allLower(short) && secretName(short, kindOption):
		// -storepass v, -keypass v, -password v
		return end, pendValue
	}
	return end, pendNone
}

// bareWord is a word without the quotes and brackets around it and, for a
// path, its directory: the name of the command it may run.
func bareWord(w string) string {
	wrap := func(c byte) bool {
		return c == '"' || c == '\'' || c == '`' || c == '$' || c == '(' || c == ')' || c == '{' || c == '}'
	}
	for len(w) > 0 && wrap(w[0]) {
		w = w[1:]
	}
	for len(w) > 0 && wrap(w[len(w)-1]) {
		w = w[:len(w)-1]
	}
	if k := strings.LastIndexByte(w, '/'); k >= 0 && strings.IndexByte(w, '=') < 0 {
		w = w[k+1:]
	}
	return w
}

// plainName reports a word that can be a variable or setting name:
// letters, digits, _, . and -, starting with a letter or _.
func plainName(w string) bool {
	if w == "" || !(isUpper(w[0]) || isLower(w[0]) || w[0] == '_') {
		return false
	}
	for i := 0; i < len(w); i++ {
		if !isNameChar(w[i]) {
			return false
		}
	}
	return true
}

func allLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLower(s[i]) {
			return false
		}
	}
	return true
}
