package probe

import (
	"errors"
	"fmt"
)

// Setting names one input of a storm, a churn run or a calibration. Errors
// about bad input carry it (SettingError) so that a caller can name its own
// flag, key or field: the library never names a CLI flag.
type Setting string

// The settings the probe validates.
const (
	SettingDSN                Setting = "dsn"
	SettingMonitorDSN         Setting = "monitorDSN"
	SettingInstances          Setting = "instances"
	SettingStartupConnections Setting = "startupConnections"
	// SettingSessions is instances × startup connections (or × rounds in a
	// rollout): both settings together are too large.
	SettingSessions       Setting = "sessions"
	SettingRamp           Setting = "ramp"
	SettingConnectTimeout Setting = "connectTimeout"
	SettingAttemptTimeout Setting = "attemptTimeout"
	SettingRetryInitial   Setting = "retryInitial"
	SettingRetryMax       Setting = "retryMax"
	SettingRetryMult      Setting = "retryMultiplier"
	SettingHold           Setting = "hold"
	SettingDeadline       Setting = "deadline"
	SettingChurn          Setting = "churn"
	SettingOld            Setting = "old"
)

// SettingError is bad input: one setting and what was expected of it.
type SettingError struct {
	Setting Setting
	// Reason says what was expected and what was given ("must be ≥ 1, got 0").
	Reason string
	// Err is the underlying error (a DSN parse error), if any.
	Err error
}

func (e *SettingError) Error() string { return string(e.Setting) + ": " + e.Reason }
func (e *SettingError) Unwrap() error { return e.Err }

func settingErrorf(s Setting, format string, args ...any) error {
	return &SettingError{Setting: s, Reason: fmt.Sprintf(format, args...)}
}

// dsnError wraps a DSN that does not parse; the message is scrubbed of
// passwords (pgx quotes the connection string).
func dsnError(s Setting, err error) error {
	r := redactErr(err)
	return &SettingError{Setting: s, Reason: r.Error(), Err: r}
}

// ErrNotLoopback is returned (wrapped in a *NotLoopbackError) by
// CheckTarget for a non-loopback target without confirmation.
var ErrNotLoopback = errors.New("target is not a loopback address")

// NotLoopbackError names the host a storm was refused against.
type NotLoopbackError struct{ Host string }

func (e *NotLoopbackError) Error() string        { return fmt.Sprintf("%v: %q", ErrNotLoopback, e.Host) }
func (e *NotLoopbackError) Is(target error) bool { return target == ErrNotLoopback }

// MonitorError means the monitoring connection (Config.MonitorDSN) could not
// be set up: the storm did not run. It is an environment failure, not bad
// input.
type MonitorError struct{ Err error }

func (e *MonitorError) Error() string { return "monitor: " + e.Err.Error() }
func (e *MonitorError) Unwrap() error { return e.Err }
