package probe

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/testkit/pgtest"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// silentListener accepts TCP connections at the kernel level (the listen
// backlog completes the handshake) but never reads or answers: a server
// that is reachable yet never responds, as a stalled egress path looks.
func silentListener(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// progressEvents makes the storm report its progress every 10 ms on a
// channel the test reads (non-blocking: a full buffer drops a snapshot, a
// later one carries the same counts). Faults are injected when the storm
// reaches a state, never after a guessed sleep. Call the returned close
// function after Run returned (no further snapshot is sent then).
func progressEvents(cfg *Config) (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 4096)
	cfg.ProgressInterval = 10 * time.Millisecond
	cfg.Progress = func(s Snapshot) {
		select {
		case ch <- s:
		default:
		}
	}
	return ch, func() { close(ch) }
}

// until reads snapshots until cond holds (true) or the storm ended (false).
func until(ch <-chan Snapshot, cond func(Snapshot) bool) bool {
	for s := range ch {
		if cond(s) {
			return true
		}
	}
	return false
}

// requireEndsByDeadline checks the storm respected its deadline; the slack
// covers closing sockets and the final pg_stat_activity read.
func requireEndsByDeadline(t *testing.T, cfg Config, res *Result, took time.Duration) {
	t.Helper()
	assert.LessOrEqual(t, took, cfg.Deadline+3*time.Second, "probe must end by its deadline")
	assert.LessOrEqual(t, res.DurationSeconds, (cfg.Deadline + time.Second).Seconds())
}

func TestFaults(t *testing.T) {
	shared := pgtest.Shared(t)
	tests := []struct {
		name      string
		dsn       func(t *testing.T) string
		cfg       func(c *Config)
		want      Outcome
		onServer  bool // a server exists whose pg_stat_activity can be checked
		wantReady int
	}{
		{
			name: "server not running",
			dsn: func(t *testing.T) string {
				return fmt.Sprintf("postgres://headroom:x@127.0.0.1:%d/headroom?sslmode=disable", closedPort(t))
			},
			want: OutcomeRefused,
		},
		{
			name:     "wrong password",
			dsn:      func(t *testing.T) string { return withPassword(t, shared.DSN, "wrong-password") },
			want:     OutcomeAuth,
			onServer: true,
		},
		{
			name: "unreachable port times out",
			dsn: func(t *testing.T) string {
				return fmt.Sprintf("postgres://headroom:x@127.0.0.1:%d/headroom?sslmode=disable", silentListener(t))
			},
			cfg:  func(c *Config) { c.AttemptTimeout = 300 * time.Millisecond },
			want: OutcomeTimeout,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(tc.dsn(t))
			cfg.Instances = 3
			cfg.ConnectTimeout = 1500 * time.Millisecond
			cfg.AttemptTimeout = time.Second
			cfg.Deadline = 4 * time.Second
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			t0 := time.Now()
			res, err := Run(context.Background(), cfg)
			took := time.Since(t0)
			require.NoError(t, err)
			requireEndsByDeadline(t, cfg, res, took)
			assert.Equal(t, tc.wantReady, res.Ready)
			assert.Zero(t, res.Outcomes[OutcomeOK])
			assert.Greater(t, res.Outcomes[tc.want], 0)
			assert.Equal(t, res.Attempts, res.Outcomes[tc.want], "every attempt is %s: %v", tc.want, res.Outcomes)
			for _, ir := range res.InstanceResults {
				assert.Equal(t, tc.want, ir.Failure, "instance %d", ir.Index)
			}
			assert.Contains(t, res.ErrorSamples, tc.want)
			assert.Zero(t, res.PeakClientSessions)
			if tc.onServer {
				n, err := shared.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
				require.NoError(t, err)
				assert.Zero(t, n)
			}
		})
	}
}

// TestFaultSlotsExhaustedByAnotherClient: another application holds every
// slot a non-superuser can get; the storm must see too_many_clients only,
// give up within the connect timeout and leave nothing behind.
func TestFaultSlotsExhaustedByAnotherClient(t *testing.T) {
	c := pgtest.Shared(t)
	ctx := context.Background()
	usable := c.MaxConnections - c.Reserved
	cfgOther, err := pgx.ParseConfig(c.DSN)
	require.NoError(t, err)
	cfgOther.RuntimeParams["application_name"] = "other-app"
	var others []*pgx.Conn
	t.Cleanup(func() {
		for _, o := range others {
			_ = o.Close(context.Background())
		}
	})
	for len(others) < usable {
		o, err := pgx.ConnectConfig(ctx, cfgOther)
		if err != nil {
			require.Equal(t, OutcomeTooManyClients, Classify(err), "filling slots: %v", err)
			break
		}
		others = append(others, o)
	}
	require.GreaterOrEqual(t, len(others), usable-2, "the other client holds (almost) every usable slot")

	cfg := baseConfig(c.DSN)
	cfg.MonitorDSN = c.AdminDSN // superuser: still gets a reserved slot
	cfg.Instances = 3
	cfg.ConnectTimeout = time.Second
	cfg.Deadline = 5 * time.Second
	t0 := time.Now()
	res, err := Run(ctx, cfg)
	require.NoError(t, err)
	requireEndsByDeadline(t, cfg, res, time.Since(t0))
	assert.Zero(t, res.Ready)
	assert.Equal(t, res.Attempts, res.Outcomes[OutcomeTooManyClients], "%v", res.Outcomes)
	assert.Greater(t, res.Attempts, 3, "instances retry within their connect timeout")
	assert.Zero(t, res.LeftoverSessions)
	assert.GreaterOrEqual(t, res.PeakServerBackends, len(others))
	n, err := c.WaitSessions(ctx, res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestFaultServerStoppedMidStorm stops a private server while instances are
// still arriving (once two are ready) and starts it again once the storm has
// seen a failed attempt: attempts during the outage are refused, instances
// that retry past it get ready, nothing is left behind.
func TestFaultServerStoppedMidStorm(t *testing.T) {
	c := pgtest.Start(t)
	cfg := baseConfig(c.DSN)
	cfg.Instances = 10
	cfg.Ramp = 3 * time.Second
	cfg.ConnectTimeout = 12 * time.Second
	cfg.AttemptTimeout = time.Second
	cfg.Backoff = Backoff{Initial: 100 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 2}
	cfg.Hold = 300 * time.Millisecond
	cfg.Deadline = 25 * time.Second

	events, closeEvents := progressEvents(&cfg)
	var halted, resumed bool
	faults := make(chan struct{})
	go func() {
		defer close(faults)
		if !until(events, func(s Snapshot) bool { return s.Ready >= 2 }) {
			return
		}
		if err := c.Halt(); err != nil {
			t.Errorf("halt: %v", err)
			return
		}
		halted = true
		if !until(events, func(s Snapshot) bool { return s.FailedAttempts > 0 }) {
			return
		}
		if err := c.Resume(); err != nil {
			t.Errorf("resume: %v", err)
			return
		}
		resumed = true
		for range events { // drain until the storm ends
		}
	}()
	t0 := time.Now()
	res, err := Run(context.Background(), cfg)
	closeEvents()
	<-faults
	require.NoError(t, err)
	require.True(t, halted && resumed, "the server was stopped while instances arrived, and restarted after a refusal")
	requireEndsByDeadline(t, cfg, res, time.Since(t0))
	assert.Greater(t, res.Outcomes[OutcomeRefused], 0, "%v %v", res.Outcomes, res.ErrorSamples)
	assert.Greater(t, res.Outcomes[OutcomeOK], 0)
	assert.Zero(t, res.Outcomes[OutcomeAuth])
	assert.Zero(t, res.Outcomes[OutcomeTooManyClients])
	assert.Equal(t, 10, res.Ready, "instances retry past a 1.5 s outage within a 12 s timeout: %+v", res.InstanceResults)
	n, err := c.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestFaultServerGoneForGood: the server stops mid-storm and stays down;
// instances that start after it stopped fail as refused, the probe still
// ends by its deadline. What is judged is ordered by events, not by the
// machine's speed: the stop waits for a ready instance, and only instances
// that started after the stop had completed must be refused (one caught
// mid-handshake may see a reset instead). The ramp (6 instances over 10 s)
// leaves the stop seconds to complete before the last instances start.
func TestFaultServerGoneForGood(t *testing.T) {
	c := pgtest.Start(t)
	cfg := baseConfig(c.DSN)
	cfg.Instances = 6
	cfg.Ramp = 10 * time.Second
	cfg.ConnectTimeout = 1500 * time.Millisecond
	cfg.Hold = 200 * time.Millisecond
	cfg.Deadline = 15 * time.Second
	events, closeEvents := progressEvents(&cfg)
	faults := make(chan struct{})
	var haltedAt time.Time
	go func() {
		defer close(faults)
		if until(events, func(s Snapshot) bool { return s.Ready >= 1 }) {
			if err := c.Halt(); err != nil {
				t.Errorf("halt: %v", err)
			} else {
				haltedAt = time.Now()
			}
		}
		for range events {
		}
	}()
	t0 := time.Now()
	res, err := Run(context.Background(), cfg)
	closeEvents()
	<-faults
	require.NoError(t, err)
	require.False(t, haltedAt.IsZero(), "the server was stopped once an instance was ready")
	requireEndsByDeadline(t, cfg, res, time.Since(t0))
	assert.Greater(t, res.Ready, 0, "the first instances start before the stop")
	stopped := haltedAt.Sub(res.StartedAt).Seconds()
	after := 0
	for _, ir := range res.InstanceResults {
		if ir.StartSeconds > stopped {
			after++
			assert.False(t, ir.Ready, "instance %d started %.2f s after the stop", ir.Index, ir.StartSeconds-stopped)
			assert.Equal(t, OutcomeRefused, ir.Failure, "instance %d", ir.Index)
		}
	}
	require.Greater(t, after, 0, "an instance started after the stop (at %.2f s of a %s ramp)", stopped, cfg.Ramp)
	assert.Less(t, res.Ready, 6)
}

// TestDeadlineAndCancelCloseEverything: the hard deadline and a cancelled
// context (Ctrl-C) both end the storm at once and close every session.
func TestDeadlineAndCancelCloseEverything(t *testing.T) {
	c := pgtest.Shared(t)
	t.Run("deadline", func(t *testing.T) {
		cfg := baseConfig(c.DSN)
		cfg.MonitorDSN = c.AdminDSN
		cfg.Hold = time.Minute
		cfg.Deadline = time.Second
		t0 := time.Now()
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		requireEndsByDeadline(t, cfg, res, time.Since(t0))
		assert.True(t, res.DeadlineReached)
		// Whether an instance got ready within the 1 s deadline depends on
		// the machine's speed; what holds regardless: every instance is
		// either ready (its hold cut) or unfinished, none failed on its
		// own, and nothing is left on the server.
		assert.Equal(t, 4, res.Ready+res.Unfinished, "%+v", res.InstanceResults)
		for _, ir := range res.InstanceResults {
			if !ir.Ready {
				assert.Equal(t, OutcomeAborted, ir.Failure, "instance %d", ir.Index)
			}
		}
		assert.Zero(t, res.LeftoverSessions)
	})
	t.Run("deadline before ready", func(t *testing.T) {
		cfg := baseConfig(fmt.Sprintf("postgres://headroom:x@127.0.0.1:%d/headroom?sslmode=disable", silentListener(t)))
		cfg.ConnectTimeout = time.Minute
		cfg.AttemptTimeout = time.Minute
		cfg.Deadline = 700 * time.Millisecond
		t0 := time.Now()
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		requireEndsByDeadline(t, cfg, res, time.Since(t0))
		assert.True(t, res.DeadlineReached)
		assert.Equal(t, 4, res.Unfinished)
		assert.Equal(t, 8, res.Aborted)
		assert.Zero(t, res.Attempts, "aborted attempts are not classified")
		crit := Evaluate(res, Targets{})
		assert.False(t, Passed(crit))
	})
	t.Run("cancel", func(t *testing.T) {
		cfg := baseConfig(c.DSN)
		cfg.Hold = time.Minute
		cfg.Deadline = time.Minute
		ctx, cancel := context.WithCancel(context.Background())
		var tag string
		cfg.ApplicationName = NewTag()
		tag = cfg.ApplicationName
		cfg.Progress = func(s Snapshot) {
			if s.Ready == cfg.Instances {
				cancel()
			}
		}
		cfg.ProgressInterval = 50 * time.Millisecond
		t0 := time.Now()
		res, err := Run(ctx, cfg)
		require.NoError(t, err)
		assert.Less(t, time.Since(t0), 10*time.Second)
		assert.True(t, res.Interrupted)
		n, err := c.WaitSessions(context.Background(), tag, 5*time.Second)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}
