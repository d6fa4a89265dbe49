package contract

import (
	"net/url"
	"regexp"
	"strings"
)

// Credential reports whether an environment variable, given its name and
// plain-text value, carries a credential, and if so which shape gave it
// away ("a URL with a password", "an AWS access key ID", …). The returned
// kind never contains the value or any part of it, so callers can print it.
//
// It is the one detector behind both the stack's validation
// (headroom:workloads[].env) and the policy pack (any Cloud Run service's
// plain env): a credential belongs in Secret Manager, referenced through
// the container's env valueSource, where it is neither in the service's
// configuration (readable by anyone with run.services.get) nor in Pulumi
// state.
//
// It looks for three things: a URL whose user info has a password
// (postgresql://app:pw@host/db), a token of a well-known issued-key shape
// (cloud, VCS and payment provider keys, private keys, JWTs), and a
// non-empty value under a name that says it is a credential (…_PASSWORD,
// …_SECRET, …_TOKEN, …_API_KEY, …_PRIVATE_KEY). A URL with a user and no
// password, or a password that is empty, is not a credential.
func Credential(name, value string) (kind string, found bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", false
	}
	if urlWithPassword(v) {
		return "a URL with a password", true
	}
	for _, t := range tokenShapes {
		if t.re.MatchString(v) {
			return t.kind, true
		}
	}
	if credentialName(name) && !placeholder(v) {
		return "a value under a credential's name (" + nameSuffix(name) + ")", true
	}
	return "", false
}

// urlWithPassword finds scheme://user:password@host anywhere in s (a value
// may hold several URLs, or a URL inside a DSN string). net/url judges a
// whole value; the pattern catches URLs embedded in text, and values
// net/url refuses (an unescaped '#' or '/' in the password).
func urlWithPassword(s string) bool {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return true
		}
	}
	return embeddedUserinfo.MatchString(s)
}

// embeddedUserinfo: a scheme, "//", a user without '/', '@' or spaces, ':',
// a non-empty password without spaces, then '@' and a host character.
var embeddedUserinfo = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]*:[^\s@]+@[^\s@/]`)

type tokenShape struct {
	kind string
	re   *regexp.Regexp
}

// tokenShapes are issued-key formats documented by their issuers; each is
// specific enough that an ordinary setting does not match it.
var tokenShapes = []tokenShape{
	{"a private key (PEM)", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"a service account key (JSON)", regexp.MustCompile(`"private_key"\s*:`)},
	{"an AWS access key ID", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
	{"a GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`)},
	{"a GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9\-]{10,}`)},
	{"a Stripe secret key", regexp.MustCompile(`\b[rs]k_(live|test)_[A-Za-z0-9]{16,}\b`)},
	{"an OpenAI-style secret key", regexp.MustCompile(`\bsk-(proj-)?[A-Za-z0-9_\-]{32,}\b`)},
	{"a JSON Web Token", regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`)},
}

// credentialWords are the last word(s) of a variable name that says it
// holds a credential. Only the end of the name counts: TOKEN_TTL_SECONDS
// and PASSWORD_MIN_LENGTH name settings about credentials, not credentials.
var (
	credentialLast = map[string]bool{"PASSWORD": true, "PASSWD": true, "PWD": true, "SECRET": true,
		"TOKEN": true, "APIKEY": true, "CREDENTIALS": true, "PASSPHRASE": true}
	credentialKeyQualifiers = map[string]bool{"API": true, "SECRET": true, "PRIVATE": true, "ACCESS": true,
		"SIGNING": true, "AUTH": true, "ENCRYPTION": true, "MASTER": true}
)

// credentialName reports whether a variable name ends in a credential word.
func credentialName(name string) bool {
	w := nameWords(name)
	if len(w) == 0 {
		return false
	}
	last := w[len(w)-1]
	if credentialLast[last] {
		return true
	}
	return last == "KEY" && len(w) >= 2 && credentialKeyQualifiers[w[len(w)-2]]
}

// nameSuffix is the part of the name that matched, for the message (a
// name is not secret; the value is).
func nameSuffix(name string) string {
	w := nameWords(name)
	if len(w) >= 2 && w[len(w)-1] == "KEY" {
		return "…" + w[len(w)-2] + "_KEY"
	}
	return "…" + w[len(w)-1]
}

func nameWords(name string) []string {
	return strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// placeholder reports values that name a credential without being one: a
// switch (REQUIRE_TOKEN=true), a Secret Manager resource name, a file path (a mounted secret), or an
// interpolation left for the container's shell.
func placeholder(v string) bool {
	switch {
	case strings.EqualFold(v, "true") || strings.EqualFold(v, "false"):
		return true
	case strings.HasPrefix(v, "projects/") && strings.Contains(v, "/secrets/"):
		return true
	case strings.HasPrefix(v, "/"):
		return true
	case strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && !strings.ContainsAny(v[2:len(v)-1], "${}"):
		return true
	}
	return false
}
