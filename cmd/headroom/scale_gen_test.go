package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/scalestack"
)

// scaleStackOut: `go test ./cmd/headroom -run TestWriteScaleStack -args
// -scale-stack-out=DIR` writes the generated 100 workloads × 8 regions stack
// there, so the CLI itself can be timed on it (docs/cli.md#scale).
var scaleStackOut = flag.String("scale-stack-out", "", "directory to write the generated org-scale stack file into")

// TestWriteScaleStack writes the generated stack when -scale-stack-out is
// given; it is a tool, not a check, so without the flag it has nothing to do.
func TestWriteScaleStack(t *testing.T) {
	if *scaleStackOut == "" {
		t.Skip("no -scale-stack-out")
	}
	path := filepath.Join(*scaleStackOut, "Pulumi.scale-100.yaml")
	require.NoError(t, os.WriteFile(path, []byte(scalestack.Stack(100, scalestack.BenchRegions)), 0o644))
	t.Logf("wrote %s", path)
}

// writeScaleStack writes scaleStack to a stack file in a temporary
// directory and returns its path.
func writeScaleStack(tb testing.TB, workloads, regions int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("Pulumi.scale-%d.yaml", workloads))
	if err := os.WriteFile(path, []byte(scalestack.Stack(workloads, regions)), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// writeRefusedScaleStack writes the generated stack with max_connections
// at the tier default (1000) on the primary and its replica: the services'
// 1,600 connections no longer fit, so suggest has a search to run.
func writeRefusedScaleStack(tb testing.TB, workloads, regions int) string {
	tb.Helper()
	src := scalestack.Refused(workloads, regions)
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("Pulumi.scale-%d-refused.yaml", workloads))
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestScaleStackPlans: the generator the whole-path benchmarks use makes a
// stack that plans and passes (so the benchmarks time a real plan, not an
// early error), with the resources and scenarios its size implies, and its
// max_connections 5000 on a 96-vCPU tier — above our inferred 4× ceiling
// (4000), inside what Cloud SQL and PostgreSQL accept — is an advisory that
// names the number and its reasoning, not bad input or a mandatory verdict.
func TestScaleStackPlans(t *testing.T) {
	const workloads, regions = 3, 2
	path := writeScaleStack(t, workloads, regions)
	r, err := planReport(context.Background(), &planFlags{configFile: path, root: "../.."}, nil)
	require.NoError(t, err)
	assert.False(t, r.Failed(), "mandatory: %d", r.Mandatory)
	require.NotNil(t, r.Resources)
	services := 0
	for _, c := range r.Resources.ByType {
		if c.Type == graph.TypeRunService {
			services = c.Count
		}
	}
	assert.Equal(t, workloads*regions, services, "one service per workload and region")
	assert.GreaterOrEqual(t, len(r.Scenarios), workloads+2, "cold start and a rollout per workload, at least")
	var advice []string
	for _, v := range r.Violations {
		if v.Policy == pack.PolicySQLMaxConnections {
			assert.Equal(t, pack.LevelAdvisory, v.Level, v.Message)
			advice = append(advice, v.Message)
		}
	}
	require.Len(t, advice, 2, "the primary and its replica")
	for _, m := range advice {
		assert.Contains(t, m, "is above 4000, our inferred ceiling on db-custom-96-368640 (4× the tier default 1000)")
		assert.Contains(t, m, "every PostgreSQL backend takes memory")
		assert.Contains(t, m, "got 5000")
	}
}

// TestScaleStackMaxConnectionsBounds: the documented bounds of
// max_connections stay bad input (exit 2) at each edge; the inferred
// ceiling never is.
func TestScaleStackMaxConnectionsBounds(t *testing.T) {
	for _, tt := range []struct {
		n    int
		code int
	}{
		{13, exitUsage}, {14, exitViolations}, {4000, exitOK}, {4001, exitOK}, {262143, exitOK}, {262144, exitUsage},
	} {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			src := strings.ReplaceAll(scalestack.Stack(1, 2), "maxConnections: 5000", "maxConnections: "+strconv.Itoa(tt.n))
			path := filepath.Join(t.TempDir(), "Pulumi.bounds.yaml")
			require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
			_, stderr, code := runCLI(t, "plan", "--config-file", path, "--root", "../..")
			assert.Equal(t, tt.code, code, stderr)
			if tt.code == exitUsage {
				assert.Contains(t, stderr, "maxConnections")
				assert.Contains(t, stderr, "from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum)")
			}
		})
	}
}

// TestSuggestAboveTheInferredCeiling: on the generated org-scale stack with
// max_connections at the tier default, the worst scenario (every service
// rolled out at once) needs 4018 on the largest Enterprise tier, above our
// inferred 4× ceiling (4000) and inside what Cloud SQL accepts. No tier
// holds it inside the inferred range, so suggest offers the raise, saying
// it is above our inference, and the fix passes; the replica follows its
// primary (hot-standby parity) with no no-op tier change.
func TestSuggestAboveTheInferredCeiling(t *testing.T) {
	path := writeRefusedScaleStack(t, 100, scalestack.BenchRegions)
	r, err := runSuggest(context.Background(), &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict)
	require.NotEmpty(t, r.Suggestions, "a passing fix exists: max_connections 4018 on both instances")
	best := r.Suggestions[0]
	assert.Equal(t, "pass", best.Verdict)
	assert.Contains(t, best.Summary, "above our inferred ceiling 4000")
	got := map[string]string{}
	for _, c := range best.Changes {
		assert.NotEqual(t, c.From, c.To, "%s: a change that changes nothing", c.Key)
		got[c.Key] = c.To
	}
	assert.Equal(t, map[string]string{"database.maxConnections": "4018", "database.replicas[0].maxConnections": "4018"}, got)
}
