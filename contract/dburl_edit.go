package contract

import (
	"net/url"
	"strings"
	"unicode"
)

// dsnValueSpan finds the value of field key in a libpq key=value string,
// read by dsnFields as ParsePostgresDSN reads it. A quoted password
// holding "pool_max_conns=1" is part of its field. bad is true when s cannot be edited safely: it ends inside
// a quote or an escape (an appended field would become part of a value).
func dsnValueSpan(s, key string) (start, end int, found, bad bool) {
	fields, open := dsnFields(s)
	if open {
		return 0, 0, false, true
	}
	for _, f := range fields {
		k, _, _ := strings.Cut(f.text, "=")
		if found || !strings.EqualFold(strings.TrimSpace(k), key) {
			continue
		}
		eq := strings.IndexByte(s[f.from:f.to], '=')
		if eq < 0 {
			continue
		}
		start = f.from + eq + 1
		for start < f.to && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n') {
			start++
		}
		end, found = f.to, true
	}
	return start, end, found, false
}

// SetDSNParam returns the connection string s with parameter key set to
// value: the query parameter of a URL (postgres://, postgresql+driver://,
// jdbc:postgresql://), or the key=value field of a libpq string. Every
// other byte of s is kept — the credential included, so the result is as
// secret as s and shown only through Redact. ok is false when s is no
// connection string ParsePostgresDSN reads, a URL without an authority,
// or a libpq string with a quote or an escape left open.
func SetDSNParam(s, key, value string) (string, bool) {
	ep, ok := ParsePostgresDSN(s)
	if !ok {
		return s, false
	}
	if ep.Shape == "dsn" {
		vs, ve, found, bad := dsnValueSpan(s, key)
		// ParsePostgresDSN reads s without its surrounding spaces: a
		// backslash that escapes a trailing space here escapes whatever
		// follows once a field is appended.
		if _, open := dsnFields(strings.TrimSpace(s)); open {
			bad = true
		}
		switch {
		case bad:
			return s, false
		case found:
			return s[:vs] + value + s[ve:], true
		}
		// Appended after the text ParsePostgresDSN reads: it trims every
		// Unicode space at the ends (a trailing form feed is not a field
		// there, but would be one in the middle).
		return strings.TrimRightFunc(s, unicode.IsSpace) + " " + key + "=" + value, true
	}
	// Surrounding whitespace (which ParsePostgresDSN ignores) stays
	// around the URL; "jdbc:postgresql:db" (no authority) takes no
	// parameters.
	lead := s[:len(s)-len(strings.TrimLeftFunc(s, unicode.IsSpace))]
	trail := s[len(strings.TrimRightFunc(s, unicode.IsSpace)):]
	if len(lead)+len(trail) >= len(s) {
		return s, false
	}
	core := s[len(lead) : len(s)-len(trail)]
	auth := 0 // where the authority starts, after "scheme://"
	if ep.Shape == "jdbc" {
		auth = len("jdbc:")
	}
	i := strings.IndexByte(core[auth:], ':')
	if i < 0 || !strings.HasPrefix(core[auth+i+1:], "//") {
		return s, false
	}
	auth += i + 3
	// The query starts at the first '?' after the scheme, as
	// ParsePostgresDSN reads it.
	rest, query, hasQuery := strings.Cut(core[auth:], "?")
	path := core[:auth] + rest
	if !hasQuery {
		return lead + path + "?" + key + "=" + value + trail, true
	}
	parts := strings.Split(query, "&")
	found := false
	for i, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if strings.EqualFold(strings.TrimSpace(k), key) {
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
	return lead + path + "?" + strings.Join(parts, "&") + trail, true
}
