package probe

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/probe/pgtest"
)

var update = flag.Bool("update", false, "rewrite docs/model-validation.md from this run")

// Agreement the model must reach against the measurement (issue 6).
const (
	successTolerancePP  = 5.0  // startup success, percentage points
	ttrToleranceRel     = 0.30 // p95 time to ready, relative to the measurement
	ttrToleranceSeconds = 0.5  // … or absolute, when that is larger (small values)
	validationRuns      = 3    // measurements per scenario; the median is compared
)

// scenario is one storm, measured on the local cluster and simulated.
//
// The capacity model keeps a ready instance's startup connections for the
// rest of the storm and releases the slots of an instance that fails at its
// connect timeout (infra/capacity simulate.go). The probe reproduces that
// with Hold longer than the connect timeout, so the storms are comparable:
// in "over" scenarios success is limited by the slots, and refused
// instances keep retrying (with the model's equal-jitter backoff) inside
// their timeout, exactly the retry loop the model simulates.
type scenario struct {
	Name        string
	Instances   int
	Startup     int
	Timeout     time.Duration
	Description string
}

var scenarios = []scenario{
	{"well under", 5, 2, 2 * time.Second, "10 sessions for 27 usable slots"},
	{"at the limit", 27, 1, 2 * time.Second, "27 sessions for 27 usable slots, all at once"},
	{"well over", 45, 1, 3 * time.Second, "45 sessions for 27 usable slots; the refused retry until their timeout"},
	{"well over, 2 per instance", 24, 2, 3 * time.Second, "48 sessions for 27 usable slots, 2 per instance"},
}

var validationBackoff = Backoff{Initial: 100 * time.Millisecond, Max: 800 * time.Millisecond, Multiplier: 2, Jitter: true}

type comparison struct {
	scenario
	ModelSuccess, MeasuredSuccess float64
	ModelP95, MeasuredP95         float64
	MeasuredRuns                  []float64 // success of each run
	SuccessOK, P95OK              bool
}

func TestModelAgreesWithMeasurement(t *testing.T) {
	c := pgtest.Shared(t)
	ctx := context.Background()
	cal, err := Calibrate(ctx, CalibrateConfig{DSN: c.DSN})
	require.NoError(t, err)
	t.Logf("calibration: accept %.1f/s, handshake %.4fs, reserved %d (max_connections %d)",
		cal.AcceptRatePerSecond, cal.HandshakeSeconds, cal.ReservedConnections, cal.MaxConnections)

	var rows []comparison
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			pred := capacity.Simulate(topologyFor(cal, sc), capacity.SimOptions{})
			require.Equal(t, sc.Instances, pred.Instances, "the simulator must see the storm's instances")

			var succ, p95 []float64
			for range validationRuns {
				cfg := Config{
					DSN:                c.DSN,
					Instances:          sc.Instances,
					StartupConnections: sc.Startup,
					ConnectTimeout:     sc.Timeout,
					Backoff:            validationBackoff,
					// Ready instances keep their connections past every
					// other instance's timeout, as in the model.
					Hold:     sc.Timeout + 500*time.Millisecond,
					Deadline: 2*sc.Timeout + 10*time.Second,
				}
				res, err := Run(ctx, cfg)
				require.NoError(t, err)
				require.False(t, res.DeadlineReached)
				// Only slot refusals are part of the model. (A timeout can occur:
				// an attempt still in flight when its instance's connect timeout
				// expires is cut, which the model also does.)
				require.Zero(t, res.Outcomes[OutcomeRefused]+res.Outcomes[OutcomeAuth]+res.Outcomes[OutcomeOther],
					"%v %v", res.Outcomes, res.ErrorSamples)
				succ = append(succ, res.SuccessRate)
				p95 = append(p95, res.TimeToReady.P95)
				n, err := c.WaitSessions(ctx, res.ApplicationName, 5*time.Second)
				require.NoError(t, err)
				require.Zero(t, n)
			}
			row := comparison{scenario: sc, ModelSuccess: pred.SuccessRate, ModelP95: pred.TimeToReadyP95Seconds,
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
		require.NoError(t, writeValidationDoc(cal, rows))
	}
}

// topologyFor describes the local cluster and the storm in the model's
// terms: one database with the cluster's max_connections, the calibrated
// accept rate, handshake and reserved slots, one workload of N instances ×
// P startup connections, no VPC egress (loopback), a direct connection.
func topologyFor(cal *Calibration, sc scenario) capacity.Topology {
	return capacity.Topology{
		Stack:       "local-validation",
		Environment: capacity.EnvStaging,
		Databases: []capacity.Database{{
			Name: "local", Region: "local", Tier: "db-custom-2-7680", MaxConnections: cal.MaxConnections,
		}},
		Workloads: []capacity.Workload{{
			Name: "storm", Region: "local", Egress: capacity.EgressNone, Method: capacity.MethodPrivateIP,
			Database: "local", MinInstances: 0, MaxInstances: sc.Instances, Concurrency: 1,
			PoolSize: sc.Startup, StartupConnections: sc.Startup, ConnectTimeoutSeconds: sc.Timeout.Seconds(),
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

func writeValidationDoc(cal *Calibration, rows []comparison) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- generated by `go test ./probe -run TestModelAgreesWithMeasurement -update`; do not edit the table by hand -->\n")
	fmt.Fprintf(&b, "## Latest run\n\n")
	fmt.Fprintf(&b, "Measured %s on a local PostgreSQL %s (`scripts/pg-cluster.sh`): max_connections %d, "+
		"superuser_reserved_connections %d, other sessions %d → %d usable slots.\n\n",
		cal.MeasuredAt.Format("2006-01-02 15:04 UTC"), cal.ServerVersion, cal.MaxConnections,
		cal.SuperuserReservedConnections, cal.OtherSessions, cal.MaxConnections-cal.ReservedConnections)
	fmt.Fprintf(&b, "Calibrated assumptions: acceptRatePerSecond %.1f, handshakeSeconds %.4f, reservedConnections %d. "+
		"Retry: %gs initial, ×%g, %gs max, equal jitter.\n\n",
		cal.AcceptRatePerSecond, cal.HandshakeSeconds, cal.ReservedConnections,
		validationBackoff.Initial.Seconds(), validationBackoff.Multiplier, validationBackoff.Max.Seconds())
	fmt.Fprintf(&b, "| scenario | instances × startup | connect timeout | success model | success measured (median of %d) | Δ pp | p95 time to ready model | p95 measured | Δ | verdict |\n", validationRuns)
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		verdict := "agrees"
		if !r.SuccessOK || !r.P95OK {
			verdict = "**MISS**"
		}
		fmt.Fprintf(&b, "| %s | %d × %d | %gs | %.1f %% | %.1f %% | %+.1f | %.3f s | %.3f s | %+.3f s | %s |\n",
			r.Name, r.Instances, r.Startup, r.Timeout.Seconds(), 100*r.ModelSuccess, 100*r.MeasuredSuccess,
			100*(r.ModelSuccess-r.MeasuredSuccess), r.ModelP95, r.MeasuredP95, r.ModelP95-r.MeasuredP95, verdict)
	}
	path := filepath.Join("..", "..", "..", "..", "docs", "model-validation.md")
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
