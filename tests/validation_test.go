package tests

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/probe"
	"github.com/headroom-dev/headroom/testkit/pgtest"
)

// Agreement the model must reach against the measurement
// (docs/model-validation.md "Acceptance").
const (
	successTolerancePP  = 5.0  // startup success, percentage points
	ttrToleranceRel     = 0.30 // p95 time to ready, relative to the measurement
	ttrToleranceSeconds = 0.5  // … or absolute, when that is larger (small values)
	validationRuns      = 3    // measurements per storm; the median is compared
)

// storm is one situation, measured on a local cluster and simulated.
//
// The capacity model keeps a ready instance's startup connections for the
// rest of the storm and releases the slots of an instance that fails
// (infra/capacity simulate.go). The probe reproduces that with Hold longer
// than the connect timeout, so the storms are comparable: in "over" storms
// success is limited by the slots, and refused instances keep retrying
// (with the model's equal-jitter backoff, the same function) inside their
// timeout, exactly the retry loop the model simulates.
type storm struct {
	Name      string
	Scenario  string // the model's scenario: cold-start, rollout, egress warm-up
	Instances int
	Startup   int
	Timeout   time.Duration
	// Pool is each instance's pool (poolSize, no overflow); 0 = Startup.
	// In a rollout the old revision holds Instances × Pool sessions.
	Pool int
	// Rollout: the old revision (as many instances, each holding its whole
	// pool) keeps its sessions open while this one storms; the model's
	// rollout/<workload> scenario.
	Rollout bool
	// Warmup is the Direct VPC egress warm-up: the path passes nothing for
	// this long after the storm starts (a loopback proxy).
	Warmup      time.Duration
	Description string
}

var storms = []storm{
	{Name: "well under", Scenario: "cold-start", Instances: 5, Startup: 2, Timeout: 2 * time.Second,
		Description: "10 sessions for 27 usable slots"},
	{Name: "at the limit", Scenario: "cold-start", Instances: 27, Startup: 1, Timeout: 2 * time.Second,
		Description: "27 sessions for 27 usable slots, all at once"},
	{Name: "well over", Scenario: "cold-start", Instances: 45, Startup: 1, Timeout: 3 * time.Second,
		Description: "45 sessions for 27 usable slots; the refused retry until their timeout"},
	{Name: "well over, 2 per instance", Scenario: "cold-start", Instances: 24, Startup: 2, Timeout: 3 * time.Second,
		Description: "48 sessions for 27 usable slots, 2 per instance"},
	{Name: "rollout, fits", Scenario: "rollout", Instances: 8, Startup: 1, Pool: 2, Timeout: 2 * time.Second, Rollout: true,
		Description: "old revision holds 8 × 2 = 16, the new one opens 8: 24 of 27"},
	{Name: "rollout, over", Scenario: "rollout", Instances: 18, Startup: 1, Timeout: 3 * time.Second, Rollout: true,
		Description: "old revision holds 18, the new one needs 18 of the 9 left"},
	{Name: "rollout, over, pool 2", Scenario: "rollout", Instances: 10, Startup: 1, Pool: 2, Timeout: 3 * time.Second, Rollout: true,
		Description: "old revision holds its whole pools, 10 × 2 = 20; the new one opens 1 each, 10 for the 7 left"},
	{Name: "egress warm-up 1 s", Scenario: "egress warm-up", Instances: 10, Startup: 1, Timeout: 3 * time.Second,
		Warmup: time.Second, Description: "path closed for 1 s, 10 sessions for 27 slots"},
	{Name: "egress warm-up 1 s, over", Scenario: "egress warm-up", Instances: 45, Startup: 1, Timeout: 3 * time.Second,
		Warmup: time.Second, Description: "path closed for 1 s, then 45 sessions for 27 slots"},
	{Name: "egress warm-up longer than the timeout", Scenario: "egress warm-up", Instances: 5, Startup: 1, Timeout: 2 * time.Second,
		Warmup: 2500 * time.Millisecond, Description: "path closed for 2.5 s, the app gives up after 2 s"},
}

var validationBackoff = probe.Backoff{Initial: 100 * time.Millisecond, Max: 800 * time.Millisecond, Multiplier: 2, Jitter: true}

type comparison struct {
	storm
	ModelSuccess, MeasuredSuccess float64
	ModelP95, MeasuredP95         float64
	MeasuredRuns                  []float64 // success of each run
	SuccessOK, P95OK              bool
}

// TestModelAgreesWithMeasurement runs each storm against a throwaway
// PostgreSQL cluster with the probe and compares the median of three runs
// with the simulator's prediction for the same storm. With -update it
// rewrites the table in docs/model-validation.md (and only then).
func TestModelAgreesWithMeasurement(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real storms (about two minutes)")
	}
	c := pgtest.Start(t)
	ctx := context.Background()
	cal, err := probe.Calibrate(ctx, probe.CalibrateConfig{DSN: c.DSN})
	require.NoError(t, err)
	t.Logf("calibration: accept %.1f/s, handshake %.4fs, reserved %d (max_connections %d)",
		cal.AcceptRatePerSecond, cal.HandshakeSeconds, cal.ReservedConnections, cal.MaxConnections)

	var rows []comparison
	for _, sc := range storms {
		t.Run(sc.Name, func(t *testing.T) {
			id := capacity.ScenarioColdStart
			if sc.Rollout {
				id = capacity.ScenarioRolloutPrefix + "storm"
			}
			pred, ok := capacity.SimulateScenario(topologyFor(cal, sc), id, capacity.SimOptions{})
			require.True(t, ok, "the model judges scenario %s", id)
			require.Equal(t, sc.Instances, pred.Instances, "the simulator must see the storm's instances")

			dsn := c.DSN
			var proxy *warmupProxy
			if sc.Warmup > 0 {
				proxy = startWarmupProxy(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), sc.Warmup)
				dsn = withPort(t, c.DSN, proxy.Addr().Port)
			}
			var succ, p95 []float64
			for range validationRuns {
				if proxy != nil {
					proxy.reset()
				}
				cfg := probe.Config{
					DSN:                dsn,
					Instances:          sc.Instances,
					StartupConnections: sc.Startup,
					ConnectTimeout:     sc.Timeout,
					Backoff:            validationBackoff,
					Old:                sc.old(),
					// Ready instances keep their connections past every
					// other instance's timeout, as in the model.
					Hold:     sc.Timeout + 500*time.Millisecond,
					Deadline: 2*sc.Timeout + 10*time.Second,
				}
				res, err := probe.Run(ctx, cfg)
				require.NoError(t, err)
				require.False(t, res.DeadlineReached)
				require.Equal(t, sc.old().Sessions(), res.OldSessions)
				// Only slot refusals are part of the model. (A timeout can occur:
				// an attempt still in flight when its instance's connect timeout
				// expires is cut, which the model also does; behind the warm-up
				// proxy that is how the path fails.)
				require.Zero(t, res.Outcomes[probe.OutcomeRefused]+res.Outcomes[probe.OutcomeAuth]+res.Outcomes[probe.OutcomeOther],
					"%v %v", res.Outcomes, res.ErrorSamples)
				succ = append(succ, res.SuccessRate)
				p95 = append(p95, res.TimeToReady.P95)
				n, err := c.WaitSessions(ctx, res.ApplicationName, 5*time.Second)
				require.NoError(t, err)
				require.Zero(t, n)
			}
			row := comparison{storm: sc, ModelSuccess: pred.SuccessRate, ModelP95: pred.TimeToReadyP95Seconds,
				MeasuredSuccess: median(succ), MeasuredP95: median(p95), MeasuredRuns: succ}
			row.SuccessOK = math.Abs(row.ModelSuccess-row.MeasuredSuccess)*100 <= successTolerancePP+1e-9
			row.P95OK = math.Abs(row.ModelP95-row.MeasuredP95) <= math.Max(ttrToleranceRel*row.MeasuredP95, ttrToleranceSeconds)
			rows = append(rows, row)
			t.Logf("success model %.3f measured %.3f (runs %v); p95 ttr model %.3fs measured %.3fs (runs %v)",
				row.ModelSuccess, row.MeasuredSuccess, succ, row.ModelP95, row.MeasuredP95, p95)
			assert.True(t, row.SuccessOK, "startup success: model %.1f %% vs measured %.1f %% (±%.0f pp)",
				100*row.ModelSuccess, 100*row.MeasuredSuccess, successTolerancePP)
			assert.True(t, row.P95OK, "p95 time to ready: model %.3fs vs measured %.3fs (±30 %% or ±0.5 s)",
				row.ModelP95, row.MeasuredP95)
		})
	}
	if *update {
		require.Len(t, rows, len(storms), "every storm measured before the table is rewritten")
		require.NoError(t, writeValidationDoc(cal, rows))
	}
}

func (sc storm) pool() int { return max(sc.Pool, sc.Startup) }

// old is the probe's old revision: in a rollout, as many instances as the
// new one, each holding its whole pool (what the model's rollout holds).
func (sc storm) old() probe.OldRevision {
	if !sc.Rollout {
		return probe.OldRevision{}
	}
	return probe.OldRevision{Instances: sc.Instances, Connections: sc.pool()}
}

// topologyFor describes the local cluster and the storm in the model's
// terms: one database with the cluster's max_connections, the calibrated
// accept rate, handshake and reserved slots, one workload "storm" of N
// instances with pool P and S startup connections, a direct connection,
// and:
//   - cold start: no VPC egress (loopback);
//   - rollout: nothing more — the model's rollout/storm scenario holds the
//     old revision's N × P connections while the new revision storms;
//   - egress warm-up: Direct VPC egress whose warm-up
//     (directEgressStartupSeconds) is the proxy's delay.
func topologyFor(cal *probe.Calibration, sc storm) capacity.Topology {
	t := capacity.Topology{
		Stack:       "local-validation",
		Environment: capacity.EnvStaging,
		Databases: []capacity.Database{{
			Name: "local", Region: "local", Tier: "db-custom-2-7680", MaxConnections: cal.MaxConnections,
		}},
		Workloads: []capacity.Workload{{
			Name: "storm", Region: "local", Egress: capacity.EgressNone, Method: capacity.MethodPrivateIP,
			Database: "local", MinInstances: 0, MaxInstances: sc.Instances, Concurrency: 1,
			PoolSize: sc.pool(), StartupConnections: sc.Startup, ConnectTimeoutSeconds: sc.Timeout.Seconds(),
		}},
		Assumptions: capacity.Assumptions{
			AcceptRatePerSecond: cal.AcceptRatePerSecond,
			HandshakeSeconds:    cal.HandshakeSeconds,
			ReservedConnections: cal.ReservedConnections,
			RetryInitialSeconds: validationBackoff.Initial.Seconds(),
			RetryMaxSeconds:     validationBackoff.Max.Seconds(),
			RetryMultiplier:     validationBackoff.Multiplier,
		},
	}
	if sc.Warmup > 0 {
		t.Egress = []capacity.Egress{{Region: "local", Kind: capacity.EgressDirect, Name: "loopback-proxy", SubnetCIDR: "10.0.0.0/24"}}
		t.Workloads[0].Egress, t.Workloads[0].EgressName = capacity.EgressDirect, "loopback-proxy"
		t.Assumptions.DirectEgressStartupSeconds = sc.Warmup.Seconds()
	}
	return t
}

func withPort(t *testing.T, dsn string, port int) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	return u.String()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func writeValidationDoc(cal *probe.Calibration, rows []comparison) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- generated by `go test ./tests -run TestModelAgreesWithMeasurement -update`; do not edit the table by hand -->\n")
	fmt.Fprintf(&b, "## Latest run\n\n")
	fmt.Fprintf(&b, "Measured %s on a local PostgreSQL %s (`scripts/pg-cluster.sh`): max_connections %d, "+
		"superuser_reserved_connections %d, other sessions %d → %d usable slots.\n\n",
		cal.MeasuredAt.Format("2006-01-02 15:04 UTC"), cal.ServerVersion, cal.MaxConnections,
		cal.SuperuserReservedConnections, cal.OtherSessions, cal.MaxConnections-cal.ReservedConnections)
	fmt.Fprintf(&b, "Calibrated assumptions: acceptRatePerSecond %.1f, handshakeSeconds %.4f, reservedConnections %d. "+
		"Retry: %gs initial, ×%g, %gs max, equal jitter.\n\n",
		cal.AcceptRatePerSecond, cal.HandshakeSeconds, cal.ReservedConnections,
		validationBackoff.Initial.Seconds(), validationBackoff.Multiplier, validationBackoff.Max.Seconds())
	fmt.Fprintf(&b, "| scenario | storm | instances × startup | old revision held | egress warm-up | connect timeout | success model | success measured (median of %d) | Δ pp | p95 time to ready model | p95 measured | Δ | verdict |\n", validationRuns)
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		verdict := "agrees"
		if !r.SuccessOK || !r.P95OK {
			verdict = "**MISS**"
		}
		old, warm := "—", "—"
		if o := r.old(); o.Sessions() > 0 {
			old = fmt.Sprintf("%d × %d = %d", o.Instances, o.Connections, o.Sessions())
		}
		if r.Warmup > 0 {
			warm = fmt.Sprintf("%gs", r.Warmup.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %s | %d × %d | %s | %s | %gs | %.1f %% | %.1f %% | %+.1f | %.3f s | %.3f s | %+.3f s | %s |\n",
			r.Scenario, r.Name, r.Instances, r.Startup, old, warm, r.Timeout.Seconds(), 100*r.ModelSuccess, 100*r.MeasuredSuccess,
			100*(r.ModelSuccess-r.MeasuredSuccess), r.ModelP95, r.MeasuredP95, r.ModelP95-r.MeasuredP95, verdict)
	}
	path := filepath.Join("..", "docs", "model-validation.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const begin, end = "<!-- BEGIN GENERATED -->\n", "<!-- END GENERATED -->\n"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s: markers %q … %q not found", path, begin, end)
	}
	out := append([]byte{}, doc[:i+len(begin)]...)
	out = append(out, b.Bytes()...)
	out = append(out, doc[j:]...)
	return os.WriteFile(path, out, 0o644)
}
