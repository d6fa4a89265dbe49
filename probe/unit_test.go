package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

func TestSummarize(t *testing.T) {
	s := Summarize([]time.Duration{3 * time.Second, time.Second, 2 * time.Second})
	assert.Equal(t, Percentiles{Count: 3, Min: 1, Mean: 2, P50: 2, P95: 3, P99: 3, Max: 3}, s)
	assert.Equal(t, Percentiles{}, Summarize(nil))
	// 20 samples: p95 is the 19th (nearest rank), the simulator's definition.
	twenty := make([]time.Duration, 20)
	for i := range twenty {
		twenty[i] = time.Duration(i+1) * time.Second
	}
	assert.Equal(t, 19.0, Summarize(twenty).P95)
}

func TestBackoff(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second},
		[]time.Duration{b.Delay(0), b.Delay(1), b.Delay(2), b.Delay(3), b.Delay(4), b.Delay(5000)})
	// The probe's delay is the model's: same function, the unit aside.
	a := capacity.DefaultAssumptions()
	m := Backoff{Initial: seconds(a.RetryInitialSeconds), Max: seconds(a.RetryMaxSeconds), Multiplier: a.RetryMultiplier}
	for n := range 8 {
		assert.InDelta(t, capacity.RetryDelay(a.RetryInitialSeconds, a.RetryMultiplier, a.RetryMaxSeconds, n), m.Delay(n).Seconds(), 1e-9, "retry %d", n)
	}
	b.Jitter = true
	for n := range 8 {
		w := b.wait(n)
		assert.GreaterOrEqual(t, w, b.Delay(n)/2)
		assert.LessOrEqual(t, w, b.Delay(n))
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Outcome
	}{
		{"nil", nil, OutcomeOK},
		{"too many", &pgconn.PgError{Code: "53300"}, OutcomeTooManyClients},
		{"wrapped too many", fmt.Errorf("connect: %w", &pgconn.PgError{Code: "53300"}), OutcomeTooManyClients},
		{"bad password", &pgconn.PgError{Code: "28P01"}, OutcomeAuth},
		{"hba reject", &pgconn.PgError{Code: "28000"}, OutcomeAuth},
		{"shutting down", &pgconn.PgError{Code: "57P03"}, OutcomeRefused},
		{"no such db", &pgconn.PgError{Code: "3D000"}, OutcomeOther},
		{"refused", &net.OpError{Op: "dial", Err: &osSyscallErr{syscall.ECONNREFUSED}}, OutcomeRefused},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), OutcomeTimeout},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, OutcomeTimeout},
		{"other", errors.New("boom"), OutcomeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Classify(tc.err)) })
	}
}

type osSyscallErr struct{ errno syscall.Errno }

func (e *osSyscallErr) Error() string { return e.errno.Error() }
func (e *osSyscallErr) Unwrap() error { return e.errno }

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		dsn       string
		confirmed bool
		wantErr   bool
	}{
		{"postgres://u:p@127.0.0.1:5432/db", false, false},
		{"postgres://u:p@[::1]:5432/db", false, false},
		{"host=/var/run/postgresql port=5432 user=u", false, false},
		{"postgres://u:p@10.0.0.5:5432/db", false, true},
		{"postgres://u:p@10.0.0.5:5432/db", true, false},
		{"postgres://u:p@127.0.0.1:5432,10.0.0.5:5432/db", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			err := CheckTarget(tc.dsn, tc.confirmed)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrNotLoopback)
				var nl *NotLoopbackError
				require.ErrorAs(t, err, &nl)
				assert.Equal(t, "10.0.0.5", nl.Host)
				assert.NotContains(t, err.Error(), "--", "a library error names no CLI flag")
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	assert.Equal(t, "postgres://u:xxxxx@h:5/db", Redact("postgres://u:hunter2@h:5/db"))
	assert.Equal(t, "host=h password=xxxxx user=u", Redact("host=h password=hunter2 user=u"))
	assert.Equal(t, "host=h password=xxxxx user=u", Redact("host=h password='hun ter2' user=u"))
	assert.NotContains(t, redactURL("postgres://u:hunter2@h:5/db"), "hunter2")
}

func FuzzRedact(f *testing.F) {
	f.Add("postgres://u:secret@h/db", "secret")
	f.Add("password=secret host=h", "secret")
	f.Add("postgresql://user:pa:ss@host:1/x?sslmode=disable", "pa:ss")
	f.Fuzz(func(t *testing.T, s, secret string) {
		out := Redact(s)
		_ = out // must not panic; and a URL password never survives:
		if len(secret) >= 3 && !containsAny(secret, "@/ \t\n'\\") {
			dsn := "postgres://u:" + secret + "@h:5/db"
			assert.NotContains(t, Redact(dsn), ":"+secret+"@")
		}
	})
}

func containsAny(s, chars string) bool {
	for _, c := range chars {
		for _, d := range s {
			if c == d {
				return true
			}
		}
	}
	return false
}

func TestConfigValidate(t *testing.T) {
	ok := baseConfig("postgres://u:p@127.0.0.1:5432/db?sslmode=disable")
	require.NoError(t, ok.Validate())
	tests := []struct {
		name string
		mod  func(c *Config)
		want Setting
		msg  string
	}{
		{"dsn", func(c *Config) { c.DSN = "" }, SettingDSN, "required"},
		{"bad dsn", func(c *Config) { c.DSN = "postgres://u:secret@h:x/db" }, SettingDSN, "invalid port"},
		{"instances", func(c *Config) { c.Instances = MaxInstances + 1 }, SettingInstances, "must be 1…5000, got 5001"},
		{"startup", func(c *Config) { c.StartupConnections = 0 }, SettingStartupConnections, "must be 1…100, got 0"},
		{"startup at the limit + 1", func(c *Config) { c.StartupConnections = MaxStartupConnections + 1 }, SettingStartupConnections, "got 101"},
		{"sessions", func(c *Config) { c.Instances, c.StartupConnections = 5000, 3 }, SettingSessions, "at most 10000 sessions, got 15000"},
		{"ramp", func(c *Config) { c.Ramp = -1 }, SettingRamp, "must be ≥ 0"},
		{"timeout", func(c *Config) { c.ConnectTimeout = 0 }, SettingConnectTimeout, "must be > 0"},
		{"attempt", func(c *Config) { c.AttemptTimeout = -1 }, SettingAttemptTimeout, "must be ≥ 0"},
		{"retry initial", func(c *Config) { c.Backoff.Initial = -1 }, SettingRetryInitial, "must be ≥ 0"},
		{"retry max below initial", func(c *Config) { c.Backoff.Max = c.Backoff.Initial / 2 }, SettingRetryMax, "initial retry delay"},
		{"multiplier NaN", func(c *Config) { c.Backoff.Multiplier = math.NaN() }, SettingRetryMult, "must be ≥ 1"},
		{"multiplier inf", func(c *Config) { c.Backoff.Multiplier = math.Inf(1) }, SettingRetryMult, "must be ≥ 1"},
		{"hold", func(c *Config) { c.Hold = -1 }, SettingHold, "must be ≥ 0"},
		{"deadline", func(c *Config) { c.Deadline = time.Hour }, SettingDeadline, "must be in (0, 30m0s]"},
		{"monitor", func(c *Config) { c.MonitorDSN = "postgres://u:p@h:x/db" }, SettingMonitorDSN, "invalid port"},
		{"old half set", func(c *Config) { c.Old = OldRevision{Instances: 2} }, SettingOld, "both 0 or both ≥ 1"},
		{"old negative", func(c *Config) { c.Old = OldRevision{Instances: -1, Connections: 1} }, SettingOld, "0…5000"},
		{"old too many", func(c *Config) { c.Old = OldRevision{Instances: 5000, Connections: 2} }, SettingSessions, "old and new sessions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			var se *SettingError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.want, se.Setting)
			assert.Contains(t, se.Reason, tc.msg)
			assert.NotContains(t, err.Error(), "secret")
			assert.NotContains(t, err.Error(), "--", "a library error names no CLI flag")
		})
	}
	c := ok
	c.Old = OldRevision{Instances: 3, Connections: 2}
	require.NoError(t, c.Validate())
	assert.Equal(t, 6, c.Old.Sessions())
}

func TestEvaluate(t *testing.T) {
	r := &Result{SuccessRate: 0.95, ConnectLatency: Percentiles{Count: 10, P99: 2}}
	c := Evaluate(r, Targets{})
	assert.True(t, Passed(c))
	assert.Equal(t, 0.90, c[0].Target)
	assert.Equal(t, 30.0, c[1].Target)

	r.SuccessRate = 0.89
	assert.False(t, Evaluate(r, Targets{})[0].Pass)
	r.SuccessRate = 1
	assert.False(t, Evaluate(r, Targets{ConnectP99Seconds: 1})[1].Pass)
	r.Unfinished = 1
	assert.False(t, Passed(Evaluate(r, Targets{})))
	assert.False(t, Passed(Evaluate(&Result{SuccessRate: 1}, Targets{})), "no connection → connect p99 fails")

	// Boundaries, the model's comparison (contract.SuccessMeets/ConnectMeets):
	// success = target and p99 = target fail; just beyond them passes.
	r = &Result{SuccessRate: 0.90, ConnectLatency: Percentiles{Count: 1, P99: 29.999}}
	c = Evaluate(r, Targets{})
	assert.False(t, c[0].Pass, "success equal to the target")
	assert.Equal(t, ">", c[0].Comparison)
	r = &Result{SuccessRate: 0.9001, ConnectLatency: Percentiles{Count: 1, P99: 30}}
	c = Evaluate(r, Targets{})
	assert.True(t, c[0].Pass)
	assert.False(t, c[1].Pass, "p99 equal to the target")
	assert.Equal(t, "<", c[1].Comparison)
	r = &Result{SuccessRate: 0.9001, ConnectLatency: Percentiles{Count: 1, P99: 29.999}}
	assert.True(t, Passed(Evaluate(r, Targets{})))
}

func TestTargetsTakeTheModelsDefaults(t *testing.T) {
	d := capacity.DefaultTargets()
	assert.Equal(t, Targets{StartupSuccessRate: d.StartupSuccessRate, ConnectP99Seconds: d.ConnectP99Seconds}, Targets{}.WithDefaults())
	assert.Equal(t, d.StartupSuccessRate, Targets{StartupSuccessRate: 1.5}.WithDefaults().StartupSuccessRate, "out of range = unset, the model's rule")
	assert.Equal(t, Targets{StartupSuccessRate: 0.5, ConnectP99Seconds: 3}, Targets{StartupSuccessRate: 0.5, ConnectP99Seconds: 3}.WithDefaults())
}

func FuzzConfigValidate(f *testing.F) {
	f.Add("postgres://u:p@127.0.0.1:5432/db", 10, 2, int64(time.Second), int64(0), 2.0, int64(time.Minute))
	f.Add("host=/var/run/postgresql user=u", 0, 0, int64(0), int64(-1), math.NaN(), int64(0))
	f.Add("postgres://[::1", 5000, 3, int64(-5), int64(1<<62), math.Inf(1), int64(1<<62))
	f.Fuzz(func(t *testing.T, dsn string, n, p int, timeout, ramp int64, mult float64, deadline int64) {
		c := Config{DSN: dsn, Instances: n, StartupConnections: p, ConnectTimeout: time.Duration(timeout),
			Ramp: time.Duration(ramp), Backoff: Backoff{Initial: time.Millisecond, Max: time.Second, Multiplier: mult},
			Deadline: time.Duration(deadline)}
		if err := c.Validate(); err == nil {
			// What validates is a bounded storm.
			require.LessOrEqual(t, c.Instances*c.StartupConnections, MaxSessions)
			require.LessOrEqual(t, c.Deadline, MaxDeadline)
			require.GreaterOrEqual(t, c.Backoff.Multiplier, 1.0)
		}
	})
}
