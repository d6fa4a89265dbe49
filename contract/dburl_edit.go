package contract

import (
	"regexp"
	"strings"
)

// dsnParamRE matches one key=value field of a libpq key=value string
// (unquoted value), at the start or after whitespace.
var dsnParamRE = regexp.MustCompile(`(^|\s)([A-Za-z_]+)\s*=\s*([^\s']*)`)

// SetDSNParam returns the connection string s with parameter key set to
// value: the query parameter of a URL (postgres://, postgresql+driver://,
// jdbc:postgresql://), or the key=value field of a libpq string. Every
// other byte of s is kept — the credential included, so the result is as
// secret as s and shown only through Redact. ok is false when s is no
// connection string ParsePostgresDSN reads.
func SetDSNParam(s, key, value string) (string, bool) {
	ep, ok := ParsePostgresDSN(s)
	if !ok {
		return s, false
	}
	if ep.Shape == "dsn" {
		for _, m := range dsnParamRE.FindAllStringSubmatchIndex(s, -1) {
			if strings.EqualFold(s[m[4]:m[5]], key) {
				return s[:m[6]] + value + s[m[7]:], true
			}
		}
		return strings.TrimRight(s, " \t") + " " + key + "=" + value, true
	}
	// The query starts at the first '?', as ParsePostgresDSN reads it.
	path, query, hasQuery := strings.Cut(s, "?")
	if !hasQuery {
		return path + "?" + key + "=" + value, true
	}
	parts := strings.Split(query, "&")
	found := false
	for i, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, key) {
			parts[i], found = key+"="+value, true
		}
	}
	if !found {
		if query == "" {
			parts = []string{key + "=" + value}
		} else {
			parts = append(parts, key+"="+value)
		}
	}
	return path + "?" + strings.Join(parts, "&"), true
}
