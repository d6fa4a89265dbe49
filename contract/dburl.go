package contract

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// DBEndpoint is where a PostgreSQL connection string points, with its
// parameters. The password is never kept.
type DBEndpoint struct {
	// Shape is "url" (postgres://, postgresql://, postgresql+driver://),
	// "jdbc" (jdbc:postgresql://) or "dsn" (libpq key=value).
	Shape string
	// Host is a host name or IP address; empty for a Unix socket.
	Host string
	Port string
	// CloudSQLInstance is "<project>:<region>:<instance>" when the string
	// names a Cloud SQL instance: a /cloudsql/<connection name> socket or
	// the Java connector's cloudSqlInstance parameter.
	CloudSQLInstance string
	// Params holds the query or key=value parameters, keys lower-cased;
	// password-like keys are dropped.
	Params map[string]string
}

// CloudSQLSocketDir is the directory under which Cloud Run mounts the Unix
// sockets of its built-in Cloud SQL connection
// (https://cloud.google.com/sql/docs/postgres/connect-run#connect-unix-socket).
const CloudSQLSocketDir = "/cloudsql/"

// connectionNameRE matches a Cloud SQL connection name
// "<project>:<region>:<instance>" (a domain-scoped project has one more
// colon: "example.com:project").
var connectionNameRE = regexp.MustCompile(`^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]*:[a-z]+-[a-z]+[0-9]+:[a-z][a-z0-9-]*$`)

// IsConnectionName reports whether s is shaped like a Cloud SQL connection
// name.
func IsConnectionName(s string) bool { return connectionNameRE.MatchString(s) }

// InstanceOfConnectionName returns the instance part of a connection name.
func InstanceOfConnectionName(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ParsePostgresDSN reads a PostgreSQL connection string in any of the
// shapes applications use: a URL (postgres://, postgresql://,
// postgresql+psycopg2:// and other SQLAlchemy drivers), a JDBC URL
// (jdbc:postgresql://) or a libpq key=value string with host= or dbname=.
// ok is false for anything else.
func ParsePostgresDSN(s string) (DBEndpoint, bool) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "jdbc:postgresql:"):
		ep, ok := parseURLShape(s[len("jdbc:"):])
		ep.Shape = "jdbc"
		return ep, ok
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"),
		strings.HasPrefix(lower, "postgresql+"), strings.HasPrefix(lower, "postgres+"):
		return parseURLShape(s)
	}
	return parseKeyValue(s)
}

// parseURLShape splits scheme://userinfo@host:port/db?params by hand:
// url.Parse refuses the percent-encoded socket paths libpq accepts as a
// host and unescaped characters in passwords.
func parseURLShape(s string) (DBEndpoint, bool) {
	ep := DBEndpoint{Shape: "url", Params: map[string]string{}}
	i := strings.Index(s, ":")
	if i < 0 {
		return ep, false
	}
	rest := s[i+1:]
	// jdbc:postgresql:db (no authority) is a database on localhost.
	if !strings.HasPrefix(rest, "//") {
		return ep, true
	}
	rest = rest[2:]
	query := ""
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, query = rest[:q], rest[q+1:]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	hostport := rest
	if sl := strings.IndexByte(rest, '/'); sl >= 0 {
		hostport = rest[:sl]
	}
	// libpq takes a list of hosts; the first is the primary target.
	if c := strings.IndexByte(hostport, ','); c >= 0 {
		hostport = hostport[:c]
	}
	if h, err := url.PathUnescape(hostport); err == nil {
		hostport = h
	}
	if strings.HasPrefix(hostport, "/") {
		ep.Host = ""
		setSocket(&ep, hostport)
	} else {
		ep.Host, ep.Port = splitHostPort(hostport)
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		setParam(&ep, k, v)
	}
	return ep, true
}

func splitHostPort(hp string) (string, string) {
	if strings.HasPrefix(hp, "[") {
		if end := strings.IndexByte(hp, ']'); end > 0 {
			host, port := hp[1:end], ""
			if strings.HasPrefix(hp[end+1:], ":") {
				port = hp[end+2:]
			}
			return host, port
		}
	}
	if c := strings.LastIndexByte(hp, ':'); c >= 0 && strings.Count(hp, ":") == 1 {
		return hp[:c], hp[c+1:]
	}
	return hp, ""
}

// setParam records a parameter; host= overrides the URL's host (libpq),
// a socket path names a Cloud SQL instance.
func setParam(ep *DBEndpoint, k, v string) {
	k = strings.ToLower(strings.TrimSpace(k))
	if isSecretKey(k) {
		return
	}
	ep.Params[k] = v
	switch k {
	case "host":
		if strings.HasPrefix(v, "/") {
			ep.Host = ""
			setSocket(ep, v)
		} else if v != "" {
			ep.Host, _ = splitHostPort(v)
		}
	case "hostaddr":
		if v != "" {
			ep.Host = v
		}
	case "port":
		ep.Port = v
	case "cloudsqlinstance":
		if IsConnectionName(v) {
			ep.CloudSQLInstance = v
		}
	}
}

func setSocket(ep *DBEndpoint, path string) {
	if strings.HasPrefix(path, CloudSQLSocketDir) {
		name := strings.TrimPrefix(path, CloudSQLSocketDir)
		name, _, _ = strings.Cut(name, "/")
		if IsConnectionName(name) {
			ep.CloudSQLInstance = name
		}
	}
}

var dsnKeyRE = regexp.MustCompile(`^[a-z_]+$`)

// parseKeyValue reads a libpq key=value string ("host=10.0.0.3 port=5432
// dbname=app user=app password=…"); values may be single-quoted.
func parseKeyValue(s string) (DBEndpoint, bool) {
	ep := DBEndpoint{Shape: "dsn", Params: map[string]string{}}
	fields := splitDSN(s)
	if len(fields) < 2 {
		return ep, false
	}
	seen := map[string]bool{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !dsnKeyRE.MatchString(k) {
			return DBEndpoint{}, false
		}
		seen[k] = true
		setParam(&ep, k, v)
	}
	if !seen["host"] && !seen["dbname"] {
		return DBEndpoint{}, false
	}
	return ep, true
}

// splitDSN splits on spaces outside single quotes and unquotes values.
func splitDSN(s string) []string {
	fields, _ := dsnFields(s)
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.text
	}
	return out
}

// dsnField is one field of a libpq key=value string: its text, unquoted,
// and the bytes of s it spans.
type dsnField struct {
	from, to int
	text     string
}

// dsnFields is the one reading of a libpq key=value string, for parsing
// (splitDSN) and editing (dsnValueSpan): fields separated by whitespace
// outside single quotes, backslash escapes, and "key = value" / "key= value"
// joined into one field. open is true when s ends inside a quote or an
// escape.
func dsnFields(s string) (fields []dsnField, open bool) {
	var raw []dsnField
	var b strings.Builder
	quoted, escaped, from := false, false, -1
	flush := func(to int) {
		if from >= 0 && b.Len() > 0 {
			raw = append(raw, dsnField{from, to, b.String()})
		}
		from = -1
		b.Reset()
	}
	for i, r := range s {
		sep := (r == ' ' || r == '\t' || r == '\n') && !quoted && !escaped
		if from < 0 && !sep {
			from = i
		}
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '\'':
			quoted = !quoted
		case sep:
			flush(i)
		default:
			b.WriteRune(r)
		}
	}
	flush(len(s))
	for i := 0; i < len(raw); i++ {
		f := raw[i]
		if i+2 < len(raw) && raw[i+1].text == "=" {
			f.to, f.text, i = raw[i+2].to, f.text+"="+raw[i+2].text, i+2
		} else if strings.HasSuffix(f.text, "=") && i+1 < len(raw) && !strings.Contains(raw[i+1].text, "=") {
			f.to, f.text, i = raw[i+1].to, f.text+raw[i+1].text, i+1
		}
		fields = append(fields, f)
	}
	return fields, quoted || escaped
}

// secretKeys are parameter names whose values are credentials.
var secretKeys = []string{"password", "passwd", "pwd", "pass", "secret", "token", "apikey", "api_key",
	"access_token", "auth_token", "sslpassword", "client_secret", "private_key", "sslkey", "credentials"}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretKeys {
		if k == s || strings.HasSuffix(k, "_"+s) || strings.HasSuffix(k, "-"+s) {
			return true
		}
	}
	return false
}

// Redaction is what Redact puts in place of a credential.
const Redaction = "***"

var (
	// scheme://user:password@ … — the userinfo runs to the last '@'
	// before whitespace or a quote, so an unescaped '@' or ':' in a
	// password is covered too (over-redacting a query is the safe side).
	userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^ \t\r\n'"]*)@`)
	// key=value and key: value credentials in query strings, DSNs, JDBC
	// properties, command lines and JSON.
	secretKVRE = regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]+[_\-])*(?:` + strings.Join(secretKeys, "|") + `)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"}\]]+)`)
	// Long high-entropy runs (API keys, bearer tokens, JWT segments):
	// mixed case and digits, or long hex.
	tokenRE = regexp.MustCompile(`[A-Za-z0-9_\-+=]{24,}`)
	hexRE   = regexp.MustCompile(`\b[0-9a-fA-F]{32,}\b`)
)

// Redact removes credentials from text that is about to be printed (a
// finding, a report, SARIF, a log line): a URL's password (or a long
// token-like user), password/token/secret parameters, and long token-like
// strings. Every place that prints a value read from a resource uses it.
func Redact(s string) string {
	// The pack redacts every message it emits, and the regexps backtrack
	// over long ones (a large stack's findings): a regexp runs only where a
	// necessary condition of its match holds, and the token patterns are
	// scans. The result is the regexps' (FuzzRedactShortcuts compares).
	if strings.Contains(s, "://") {
		s = redactUserinfo(s)
	}
	if mayHoldSecretKey(s) {
		s = secretKVRE.ReplaceAllString(s, "${1}"+Redaction)
	}
	return redactTokens(s)
}

func redactUserinfo(s string) string {
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfoRE.FindStringSubmatch(m)
		scheme, info := sub[1], sub[2]
		user, _, hasPass := strings.Cut(info, ":")
		if !hasPass {
			if len(info) >= 20 || strings.ContainsAny(info, "/?#") {
				return scheme + Redaction + "@"
			}
			return m
		}
		if strings.ContainsAny(user, "/?#") {
			return scheme + Redaction + "@"
		}
		return scheme + user + ":" + Redaction + "@"
	})
}

// redactTokens is tokenRE then hexRE, as scans: tokenRE's greedy class
// matches exactly the maximal runs of its characters of at least
// tokenRunMin, and hexRE exactly the maximal runs of hex digits of at least
// hexRunMin with no word character (\w) on either side. The regexps stay
// the definition (FuzzRedactShortcuts compares the two).
func redactTokens(s string) string {
	s = replaceRuns(s, isTokenChar, func(run string, _, _ byte) bool {
		return len(run) >= tokenRunMin && looksLikeToken(run)
	})
	return replaceRuns(s, isHexDigit, func(run string, before, after byte) bool {
		return len(run) >= hexRunMin && !isWordChar(before) && !isWordChar(after)
	})
}

// replaceRuns replaces each maximal run of in-class bytes for which redact
// says so with Redaction; before and after are the bytes around the run
// (0 at either end of s).
func replaceRuns(s string, in func(byte) bool, redact func(run string, before, after byte) bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !in(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && in(s[j]) {
			j++
		}
		var before, after byte
		if i > 0 {
			before = s[i-1]
		}
		if j < len(s) {
			after = s[j]
		}
		if redact(s[i:j], before, after) {
			b.WriteString(s[last:i])
			b.WriteString(Redaction)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isTokenChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+' || c == '='
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isWordChar is RE2's \w (ASCII), which \b tests.
func isWordChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// mayHoldSecretKey is a necessary condition of a secretKVRE match: one of
// secretKeys, case-insensitively, then an optional quote, ASCII spaces and
// '=' or ':'. (?i) folds by unicode.SimpleFold, under which the only
// non-ASCII runes equal to an ASCII letter are K (Kelvin sign, k) and ſ
// (long s, s): folding those and ASCII to lower case keeps every match.
func mayHoldSecretKey(s string) bool {
	folded := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\u212a':
			r = 'k'
		case r == '\u017f':
			r = 's'
		case r >= utf8.RuneSelf:
			r = 0x80 // matches no key letter, quote, space, '=' or ':'
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		folded = append(folded, byte(r))
	}
	lower := string(folded)
	for _, k := range secretKeys {
		for from := 0; ; {
			i := strings.Index(lower[from:], k)
			if i < 0 {
				break
			}
			at := from + i + len(k)
			if at < len(lower) && (lower[at] == '"' || lower[at] == '\'') {
				at++
			}
			for at < len(lower) && strings.IndexByte(" \t\n\f\r", lower[at]) >= 0 {
				at++
			}
			if at < len(lower) && (lower[at] == '=' || lower[at] == ':') {
				return true
			}
			from += i + 1
		}
	}
	return false
}

// tokenRunMin is tokenRE's shortest match, hexRunMin hexRE's.
const (
	tokenRunMin = 24
	hexRunMin   = 32
)

func looksLikeToken(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}
