// Package badinput marks the errors that are the user's input, not the
// tool's failure: a flag, file or key that is missing or wrong. The
// packages behind the CLI (plan, report, suggest, deploy, verify,
// stackprobe) return them; the headroom command maps them to exit code 2
// and every other error to 4 (docs/cli.md).
package badinput

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Error is a one-line bad-input error naming the key, flag or file.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf formats a bad-input error.
func Errorf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}

// Wrap marks err as bad input (nil stays nil).
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err}
}

// Is reports whether err, or an error it wraps, is bad input.
func Is(err error) bool { return errors.As(err, new(*Error)) }

// OneLine keeps an error message on one line: the first line, plus a hint
// when more was cut.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " (…)"
	}
	return s
}

// PathCause is the cause of a file-system error without the path the
// message already names (no such file or directory, permission denied).
func PathCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
