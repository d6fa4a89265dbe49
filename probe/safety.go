package probe

import (
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// CheckTarget refuses a storm against a host that is not loopback (or a unix
// socket) unless the caller confirmed it is not production: a storm is
// designed to exhaust connection slots, which on a production database is an
// outage. Hosts are judged as written in the DSN: a name is resolved, and
// every address it resolves to must be loopback.
func CheckTarget(dsn string, confirmed bool) error {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return dsnError(SettingDSN, err)
	}
	hosts := []string{cfg.Host}
	for _, fb := range cfg.Fallbacks {
		hosts = append(hosts, fb.Host)
	}
	for _, h := range hosts {
		if isLoopbackHost(h) {
			continue
		}
		if confirmed {
			return nil
		}
		return &NotLoopbackError{Host: h}
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.HasPrefix(h, "/") { // unix socket: local by definition
		return true
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback()
	}
	addrs, err := net.LookupHost(h)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

var (
	urlPassword = regexp.MustCompile(`(postgres(?:ql)?://[^:/@\s]*:)[^@]*@`)
	kvPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
)

// Redact removes passwords from a DSN or a message that quotes one.
func Redact(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}xxxxx@")
	return kvPassword.ReplaceAllString(s, "${1}xxxxx")
}

// redactErr keeps error chains (errors.Is/As) but scrubs the message of
// passwords: pgx's parse errors quote the connection string.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := Redact(msg); r != msg {
		return &redactedError{msg: r, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactURL is used where a DSN is echoed.
func redactURL(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return Redact(dsn)
}
