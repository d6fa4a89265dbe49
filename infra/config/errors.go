package config

import (
	"fmt"
	"strings"

	"github.com/headroom-dev/headroom/yamlpath"
)

// Error is a configuration error: the full key path (as a user writes it in
// a stack file or passes it to `pulumi config set --path`, e.g.
// "headroom:workloads[1].db.poolSize") and what was expected. Error()
// always prints exactly one line.
type Error struct {
	Key string
	Msg string
	// at is the key's path in segments (Key may clip a long key), for
	// locating it in a stack file; nil: Key split by yamlpath.
	at yamlpath.Path
}

// Path is the key's path in yamlpath's segments.
func (e *Error) Path() yamlpath.Path {
	if e.at != nil {
		return e.at
	}
	return yamlpath.Split(e.Key)
}

func (e *Error) Error() string {
	return oneLine(e.Key + ": " + e.Msg)
}

// FileError is an error reading or decoding a stack file. Err is a *Error
// for configuration errors, or the underlying I/O or YAML error. Line and
// Column (1-based; 0 when unknown) are where a configuration error's key
// is written in the file, or, when it is absent, its nearest parent:
// "stacks/Pulumi.staging.yaml:41:9: headroom:workloads[0].db.poolSize: …".
type FileError struct {
	Path         string
	Line, Column int
	Err          error
}

func (e *FileError) Error() string {
	at := e.Path
	if e.Line > 0 && e.Column > 0 {
		at = fmt.Sprintf("%s:%d:%d", e.Path, e.Line, e.Column)
	}
	return oneLine(at + ": " + e.Err.Error())
}

// Unwrap returns the underlying error (errors.As finds a *Error through it).
func (e *FileError) Unwrap() error { return e.Err }

// oneLine folds a message onto one line: some library errors (YAML, JSON)
// span several lines, and our contract is one line per error.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// describe renders a decoded (JSON-model) value for an error message,
// shortened so a pasted blob cannot flood the terminal.
func describe(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		s = fmt.Sprintf("%q", clip(x))
		return s
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return fmt.Sprint(x)
	default:
		return clip(fmt.Sprint(x))
	}
}

func clip(s string) string {
	const max = 64
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}
