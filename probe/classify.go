// Package probe reproduces a Cloud Run cold-start storm against a real
// PostgreSQL server (local, Cloud SQL private IP, or the Cloud SQL Auth
// Proxy), classifies every connection attempt, measures what the capacity
// model predicts (startup success, time to ready, connection latency, peak
// sessions) and calibrates the model's assumptions (accept rate, handshake
// latency, reserved slots).
//
// Every connection the probe opens is tagged with an application_name and
// closed before Run returns, also when its context is cancelled.
package probe

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Outcome is the class of one connection attempt.
type Outcome string

// The outcome classes, in report order.
const (
	OutcomeOK             Outcome = "ok"
	OutcomeTooManyClients Outcome = "too_many_clients"
	OutcomeRefused        Outcome = "refused"
	OutcomeTimeout        Outcome = "timeout"
	OutcomeAuth           Outcome = "auth"
	OutcomeOther          Outcome = "other"
)

// Outcomes lists every class in report order.
var Outcomes = []Outcome{OutcomeOK, OutcomeTooManyClients, OutcomeRefused, OutcomeTimeout, OutcomeAuth, OutcomeOther}

// SQLSTATEs the classification relies on (PostgreSQL errcodes.txt).
const (
	sqlstateTooManyConnections = "53300" // too_many_connections, also "remaining connection slots are reserved"
	sqlstateInvalidPassword    = "28P01" // invalid_password
	sqlstateInvalidAuthSpec    = "28000" // invalid_authorization_specification (pg_hba reject, unknown role)
	sqlstateCannotConnectNow   = "57P03" // cannot_connect_now: starting up / shutting down
)

// Classify maps a connect error to its outcome class. A nil error is ok.
//
// The order matters: a server error (SQLSTATE) is the most precise signal;
// a refused TCP connection is next; a timeout is either the attempt's own
// deadline or a network-level timeout.
func Classify(err error) Outcome {
	if err == nil {
		return OutcomeOK
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case sqlstateTooManyConnections:
			return OutcomeTooManyClients
		case sqlstateInvalidPassword, sqlstateInvalidAuthSpec:
			return OutcomeAuth
		case sqlstateCannotConnectNow:
			// The server is up but refuses connections while it starts up
			// or shuts down: for the application, the same as ECONNREFUSED.
			return OutcomeRefused
		}
		return OutcomeOther
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return OutcomeRefused
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return OutcomeTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return OutcomeTimeout
	}
	return OutcomeOther
}

// retryable reports whether an application would retry after this outcome.
// Authentication failures do not heal by retrying; everything else may (a
// slot frees up, the server finishes restarting, the egress path scales out).
func retryable(o Outcome) bool { return o != OutcomeAuth }

// OutcomeAborted marks an instance the storm's deadline or Ctrl-C stopped
// before it was ready or had given up; it is not an attempt class.
const OutcomeAborted Outcome = "aborted"
