package probe

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/testkit/pgtest"
)

func baseConfig(dsn string) Config {
	return Config{
		DSN:                dsn,
		Instances:          4,
		StartupConnections: 2,
		ConnectTimeout:     5 * time.Second,
		AttemptTimeout:     2 * time.Second,
		Backoff:            Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 2},
		Deadline:           30 * time.Second,
	}
}

// holdPastConnect is a hold that outlasts every instance's start: with no
// ramp, each instance is ready or has given up within ConnectTimeout of
// the storm's start, so a ready instance that holds longer than that still
// holds when the last one gets ready. The sessions of all ready instances
// are then open together for at least a second, whatever the machine's
// speed — not a race between the hold and the other instances' connects.
func holdPastConnect(cfg Config) time.Duration { return cfg.ConnectTimeout + time.Second }

func TestStormUnderLimit(t *testing.T) {
	c := pgtest.Shared(t)
	cfg := baseConfig(c.DSN)
	cfg.MonitorDSN = c.AdminDSN
	cfg.Hold = holdPastConnect(cfg)
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Ready)
	assert.Equal(t, 1.0, res.SuccessRate)
	assert.Equal(t, 8, res.Outcomes[OutcomeOK])
	assert.Equal(t, 8, res.Attempts)
	assert.Equal(t, 8, res.PeakSessions, "all 8 sessions are held together for ≥ 1 s; the 20 ms poll must see them")
	assert.Equal(t, "server", res.PeakSource)
	assert.Equal(t, 8, res.PeakClientSessions)
	assert.Equal(t, 0, res.LeftoverSessions)
	assert.Equal(t, 4, res.TimeToReady.Count)
	assert.Greater(t, res.TimeToReady.P95, 0.0)
	assert.False(t, res.DeadlineReached)
	n, err := c.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestStormOverLimitWithoutRelease(t *testing.T) {
	c := pgtest.Shared(t)
	// 20 instances × 2 = 40 sessions against 27 usable; nobody releases
	// before every instance has finished starting (the hold outlasts the
	// connect timeout), so some instances must fail with too_many_clients.
	//
	// Each connection makes one attempt: the first retry would wait longer
	// than the connect timeout, so an instance gives up on the server's
	// own answer. With retries, the last attempt is cut short by the
	// instance's remaining budget and, on a busy machine, times out before
	// the refusal arrives: the outcome was then "timeout", a property of
	// the machine's speed, not of the server.
	cfg := baseConfig(c.DSN)
	cfg.Instances = 20
	cfg.ConnectTimeout = 3 * time.Second
	cfg.AttemptTimeout = cfg.ConnectTimeout
	cfg.Backoff = Backoff{Initial: 2 * cfg.ConnectTimeout, Max: 2 * cfg.ConnectTimeout, Multiplier: 1}
	cfg.Hold = holdPastConnect(cfg)
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	usable := c.MaxConnections - c.Reserved
	assert.LessOrEqual(t, res.Ready, usable/cfg.StartupConnections, "ready instances hold their sessions together")
	assert.Greater(t, res.Ready, 0)
	assert.Greater(t, res.Outcomes[OutcomeTooManyClients], 0)
	assert.Equal(t, res.Attempts, res.Outcomes[OutcomeOK]+res.Outcomes[OutcomeTooManyClients], "every attempt is accepted or refused: %v", res.Outcomes)
	assert.LessOrEqual(t, res.PeakClientSessions, usable)
	for _, ir := range res.InstanceResults {
		if !ir.Ready {
			assert.Equal(t, OutcomeTooManyClients, ir.Failure, "instance %d", ir.Index)
		}
	}
	n, err := c.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}
