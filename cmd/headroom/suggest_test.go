package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/suggest"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

// timings vary run to run; goldens carry a fixed figure.
var (
	textSeconds = regexp.MustCompile(`, [0-9]+\.[0-9]{2} s;`)
	jsonSeconds = regexp.MustCompile(`"seconds": [0-9.e+-]+`)
)

func normalizeTimings(s string) string {
	s = textSeconds.ReplaceAllString(s, ", 0.00 s;")
	return jsonSeconds.ReplaceAllString(s, `"seconds": 0`)
}

func validateSuggestJSON(t *testing.T, doc []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	const url = "https://github.com/headroom-dev/headroom/suggest/suggest.schema.json"
	require.NoError(t, c.AddResource(url, strings.NewReader(string(suggest.SchemaJSON))))
	s, err := c.Compile(url)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(doc, &v))
	require.NoError(t, s.Validate(v))
}

func TestSuggestGoldens(t *testing.T) {
	stacks := []struct {
		name string
		args []string
		code int
	}{
		{"incident", []string{"--config-file", incidentFile}, exitViolations},
		{"staging", []string{"--stack", "staging"}, exitOK},
	}
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			for _, format := range []string{"text", "markdown", "json"} {
				args := append([]string{"suggest", "--root", "../..", "--format", format}, st.args...)
				stdout, stderr, code := runCLI(t, args...)
				require.Equal(t, st.code, code, "exit code of %v; stderr: %s", args, stderr)
				if st.code == exitOK {
					assert.Empty(t, stderr)
				} else {
					assert.Equal(t, 1, strings.Count(stderr, "\n"), "one error line: %q", stderr)
					assert.Contains(t, stderr, "refused as it is")
				}
				ext := map[string]string{"text": "txt", "markdown": "md", "json": "json"}[format]
				goldenFile(t, "suggest-"+st.name+"."+ext, []byte(normalizeTimings(stdout)))
				switch format {
				case "json":
					validateSuggestJSON(t, []byte(stdout))
				case "markdown":
					assert.True(t, strings.HasPrefix(stdout, suggest.Marker))
					if st.code != exitOK {
						mdcheck.Check(t, []byte(stdout), mdcheck.Expect{Tables: 1})
						assert.Contains(t, stdout, "```suggestion\n")
					}
				}
			}
		})
	}
}

// gitApply applies a patch to a copy of the stack file with `git apply`
// (the tool a reviewer uses) and returns the patched bytes.
func gitApply(t *testing.T, relPath string, orig []byte, patch string) []byte {
	t.Helper()
	dir := t.TempDir()
	dst := filepath.Join(dir, filepath.FromSlash(relPath))
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.WriteFile(dst, orig, 0o644))
	p := filepath.Join(t.TempDir(), "fix.patch")
	require.NoError(t, os.WriteFile(p, []byte(patch), 0o644))
	cmd := exec.Command("git", "apply", "--check", p)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git apply --check: %s", out)
	cmd = exec.Command("git", "apply", p)
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "git apply: %s", out)
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	return b
}

// TestSuggestPatchesApplyAndPass: every suggested patch applies cleanly to
// a copy of the incident stack file with git apply, yields exactly the text
// that was re-planned, keeps the file's comments, and the patched file —
// loaded from disk like any stack — plans without a mandatory violation.
func TestSuggestPatchesApplyAndPass(t *testing.T) {
	f := &suggestFlags{configFile: incidentFile, root: "../..", maxPlans: 150}
	r, err := runSuggest(context.Background(), f, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict)
	require.NotEmpty(t, r.Suggestions, "the incident has at least one passing fix")
	orig, err := os.ReadFile(incidentFile)
	require.NoError(t, err)
	origComments := strings.Count(string(orig), "#")
	for i, s := range r.Suggestions {
		assert.Equal(t, i+1, s.Rank)
		assert.Greater(t, s.MonthlyUSD, 0.0, "a cost is shown")
		if i > 0 && len(s.GivesUp) == len(r.Suggestions[i-1].GivesUp) {
			assert.GreaterOrEqual(t, s.MonthlyUSD, r.Suggestions[i-1].MonthlyUSD, "ranked by cost")
		}
		patched := gitApply(t, r.File, orig, s.Diff)
		assert.Equal(t, string(s.NewText()), string(patched), "the patch is what was re-planned")
		assert.GreaterOrEqual(t, strings.Count(string(patched), "#"), origComments-3, "comments are kept (only those of removed lines go)")

		path := filepath.Join(t.TempDir(), "Pulumi.incident.yaml")
		require.NoError(t, os.WriteFile(path, patched, 0o644))
		ls, err := plan.Load("", path, "", "")
		require.NoError(t, err)
		rep, err := plan.Report(context.Background(), ls, nil)
		require.NoError(t, err)
		assert.False(t, rep.Failed(), "suggestion %d (%s) passes when re-planned from the patched file: %v", s.Rank, s.Summary, rep.Violations)

		// Accepting every suggestion block (each replaces the original
		// lines StartLine…EndLine, as GitHub does) gives the patched file.
		lines := strings.Split(string(orig), "\n")
		require.NotEmpty(t, s.Hunks)
		for j := len(s.Hunks) - 1; j >= 0; j-- {
			h := s.Hunks[j]
			require.Equal(t, r.File, h.Path)
			require.LessOrEqual(t, h.StartLine, h.EndLine)
			require.LessOrEqual(t, h.EndLine, len(lines))
			repl := strings.Split(h.Suggestion, "\n")
			lines = append(lines[:h.StartLine-1], append(repl, lines[h.EndLine:]...)...)
		}
		assert.Equal(t, string(patched), strings.Join(lines, "\n"), "the suggestion blocks reproduce the patch")
	}
}

func TestSuggestPatchOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fix.patch")
	stdout, stderr, code := runCLI(t, "suggest", "--root", "../..", "--config-file", incidentFile, "--format", "patch", "--out", out)
	require.Equal(t, exitViolations, code, stderr)
	assert.Empty(t, stdout)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "--- a/tests/testdata/incident/Pulumi.incident.yaml\n"), string(b))
	orig, err := os.ReadFile(incidentFile)
	require.NoError(t, err)
	patched := gitApply(t, "tests/testdata/incident/Pulumi.incident.yaml", orig, string(b))
	_, err = config.LoadBytes("patched.yaml", patched)
	require.NoError(t, err, "the patched file is a valid stack file")

	// A passing stack writes an empty patch and exits 0.
	out2 := filepath.Join(t.TempDir(), "none.patch")
	_, stderr, code = runCLI(t, "suggest", "--root", "../..", "--stack", "staging", "--format", "patch", "--out", out2)
	require.Equal(t, exitOK, code, stderr)
	b, err = os.ReadFile(out2)
	require.NoError(t, err)
	assert.Empty(t, b)
}

func TestSuggestBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"format", []string{"--stack", "staging", "--format", "sarif"}, `--format "sarif"`},
		{"no stack", []string{}, "one of --stack NAME or --config-file PATH is required"},
		{"unknown stack", []string{"--stack", "nope"}, "--stack nope"},
		{"missing file", []string{"--config-file", "nope.yaml"}, "--config-file nope.yaml"},
		{"max plans", []string{"--stack", "staging", "--max-plans", "0"}, "--max-plans 0"},
		{"out dir", []string{"--stack", "staging", "--out", "/nonexistent/dir/x.patch"}, "--out /nonexistent/dir/x.patch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append([]string{"suggest", "--root", "../.."}, tt.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSuffix(stderr, "Run 'headroom --help' for usage.\n"), "\n"), stderr)
		})
	}
	bad := filepath.Join(t.TempDir(), "Pulumi.bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("config:\n  headroom:environment: moon\n"), 0o644))
	_, stderr, code := runCLI(t, "suggest", "--config-file", bad)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "Pulumi.bad.yaml")
}

func benchSuggest(b *testing.B, f *suggestFlags, wantFail bool) {
	for i := 0; i < b.N; i++ {
		r, err := runSuggest(context.Background(), f, nil)
		if err != nil {
			b.Fatal(err)
		}
		if (r.Verdict == "fail") != wantFail || (wantFail && len(r.Suggestions) == 0) {
			b.Fatalf("unexpected result: %s with %d suggestions", r.Verdict, len(r.Suggestions))
		}
	}
}

// BenchmarkSuggestIncident is the whole search on the refused incident
// fixture (plan, candidates, re-plans, diffs). Target: ≤ 2 s per op.
func BenchmarkSuggestIncident(b *testing.B) {
	benchSuggest(b, &suggestFlags{configFile: incidentFile, root: "../..", maxPlans: 150}, true)
}

// BenchmarkSuggestStaging and BenchmarkSuggestProduction: passing stacks
// (one plan, nothing to search).
func BenchmarkSuggestStaging(b *testing.B) {
	benchSuggest(b, &suggestFlags{stack: "staging", root: "../..", maxPlans: 150}, false)
}

func BenchmarkSuggestProduction(b *testing.B) {
	benchSuggest(b, &suggestFlags{stack: "production", root: "../..", maxPlans: 150}, false)
}

// TestSuggestHAWhereTheRuleNeedsIt: production with a zonal primary is
// refused by the multi-region rule; suggest proposes HA, and the fix passes.
func TestSuggestHAWhereTheRuleNeedsIt(t *testing.T) {
	src, err := os.ReadFile("../../stacks/Pulumi.production.yaml")
	require.NoError(t, err)
	zonal := strings.Replace(string(src), "availability: REGIONAL        # HA", "availability: ZONAL           # HA", 1)
	require.NotEqual(t, string(src), zonal)
	path := filepath.Join(t.TempDir(), "Pulumi.production.yaml")
	require.NoError(t, os.WriteFile(path, []byte(zonal), 0o644))
	r, err := runSuggest(context.Background(), &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict)
	assert.Contains(t, r.Violations, pack.PolicyMultiRegion)
	require.NotEmpty(t, r.Suggestions)
	best := r.Suggestions[0]
	assert.Contains(t, best.Changes, suggest.Change{Key: "database.availability", From: "ZONAL", To: "REGIONAL"})
	assert.Contains(t, string(best.NewText()), "availability: REGIONAL           # HA", "the comment stays")
	assert.Greater(t, best.DeltaUSD, 0.0, "HA costs more")
}

// TestSuggestRanksCapacityLossLast: staging with netra-backend at 25
// instances overflows its budget when one deploy rolls every service (old
// and new revisions hold their pools: 2 × 25 × 15 + 2 × 10 × 7 + 10 = 900
// > 796). Raising max_connections on the same tier to the rollout's
// requirement costs nothing and keeps the capacity, so it ranks first;
// lowering maxInstances to 21 also passes and says what it gives up
// (25 × 80 → 21 × 80 concurrent requests).
func TestSuggestRanksCapacityLossLast(t *testing.T) {
	src, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	require.NoError(t, err)
	more := strings.Replace(string(src), "maxInstances: 20          #", "maxInstances: 25          #", 1)
	require.NotEqual(t, string(src), more)
	path := filepath.Join(t.TempDir(), "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(path, []byte(more), 0o644))
	r, err := runSuggest(context.Background(), &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict)
	require.GreaterOrEqual(t, len(r.Suggestions), 2)
	first := r.Suggestions[0]
	assert.Empty(t, first.GivesUp)
	assert.Equal(t, []suggest.Change{{Key: "database.maxConnections", From: "1000", To: "1130"}}, first.Changes,
		"1130 = 5 reserved + ⌈900 ÷ 0.80⌉ (rollout/all, not cold-start's 574) on the same tier")
	assert.InDelta(t, 0, first.DeltaUSD, 0.001, "max_connections is free")
	// Capacity-reducing fixes come after every fix that keeps the capacity,
	// the one that gives up the fewest requests first.
	var losses []suggest.Suggestion
	for _, s := range r.Suggestions {
		if len(s.GivesUp) > 0 {
			losses = append(losses, s)
		} else {
			assert.Empty(t, losses, "a capacity-keeping fix after a capacity-reducing one")
		}
	}
	require.NotEmpty(t, losses, "capacity-reducing fixes are shown too")
	var netra *suggest.Suggestion
	for i, s := range losses {
		if len(s.Changes) == 1 && s.Changes[0].Key == "workloads[0].maxInstances" {
			netra = &losses[i]
		}
		if len(s.Changes) == 1 && s.Changes[0].Key == "workloads[1].maxInstances" {
			assert.NotNil(t, netra, "netra 25 → 21 (320 requests) ranks before auth-service 10 → 1 (720)")
		}
	}
	require.NotNil(t, netra)
	assert.Equal(t, "21", netra.Changes[0].To, "the model's rollout/all remedy: ⌊(796 − 140 − 10) ÷ (2 × 15)⌋")
	assert.Contains(t, netra.GivesUp[0], "request capacity 2000 → 1680 concurrent requests per region")
}

// TestSuggestProbeWindow: a startup probe window shorter than the connect
// timeout (10 × 5 = 50 s < 75 s) is refused by the probe-window policy;
// suggest widens the window (failureThreshold 8 → 80 s) and the fix passes.
func TestSuggestProbeWindow(t *testing.T) {
	src, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	require.NoError(t, err)
	short := strings.Replace(string(src), "failureThreshold: 24", "failureThreshold: 5", 1)
	require.NotEqual(t, string(src), short)
	path := filepath.Join(t.TempDir(), "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(path, []byte(short), 0o644))
	r, err := runSuggest(context.Background(), &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict, "%v", r.Violations)
	require.NotEmpty(t, r.Suggestions, "%v", r.Violations)
	assert.Contains(t, r.Suggestions[0].Changes, suggest.Change{Key: "workloads[0].startupProbe.failureThreshold", From: "5", To: "8"})
	assert.InDelta(t, 0, r.Suggestions[0].DeltaUSD, 0.001)
}

// TestSuggestIncidentSizedForTheRollout: the incident's database lever is
// sized for rollout/all (old and new revisions hold their pools: 2 × 20 ×
// 15 + 2 × 10 × 7 + 10 = 750 → 5 reserved + ⌈750 ÷ 0.80⌉ = 943), not the
// cold start's 480, on a tier whose ceiling holds it; the egress is Direct
// VPC egress on a subnet holding both revisions' IPs (2 × 60 + 16 = 136 →
// /24), and the fix passes every judged scenario.
func TestSuggestIncidentSizedForTheRollout(t *testing.T) {
	r, err := runSuggest(context.Background(), &suggestFlags{configFile: incidentFile, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.NotEmpty(t, r.Suggestions)
	best := r.Suggestions[0]
	assert.Contains(t, best.Changes, suggest.Change{Key: "database.maxConnections", From: "100", To: "943"})
	assert.Contains(t, best.Changes, suggest.Change{Key: "network.regions.us-central1.direct.subnet", From: "", To: "10.20.0.0/24"})
	assert.Equal(t, "pass", best.Verdict)
	require.Len(t, best.Databases, 1)
	assert.Equal(t, 750, best.Databases[0].Demand, "the fit shown is the rollout/all budget")
	assert.LessOrEqual(t, best.Databases[0].Demand, best.Databases[0].Allowed)
}

// directSlash26Stack is staging with netra-backend alone (maxInstances 20)
// behind Direct VPC egress on a /26: 60 usable IPs hold the cold start's
// 2 × 20 + 16 = 56 but not a rollout's old and new revisions, 2 × 40 + 16
// = 96, so the plan refuses it and names "use a /25 or larger".
func directSlash26Stack(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	require.NoError(t, err)
	s := string(src)
	conn := s[strings.Index(s, "        egress: connector\n"):strings.Index(s, "\n  headroom:database:")]
	s = strings.Replace(s, conn, "        egress: direct\n        direct:\n          subnet: 10.9.0.0/26   # 60 usable IPs\n", 1)
	auth := s[strings.Index(s, "    - name: auth-service\n"):strings.Index(s, "  # The post-mortem's success criteria")]
	s = strings.Replace(s, auth, "", 1)
	path := filepath.Join(t.TempDir(), "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
	return path
}

// TestSuggestDirectSubnetFromThePlansRemedy: the fix the plan prints for
// a too-small Direct VPC egress subnet ("use a /25 or larger") is among
// suggest's candidates and passes; suggest once found no fix at all here.
func TestSuggestDirectSubnetFromThePlansRemedy(t *testing.T) {
	path := directSlash26Stack(t)
	ls, err := plan.Load("", path, "", "")
	require.NoError(t, err)
	o, err := plan.Run(context.Background(), ls, nil)
	require.NoError(t, err)
	rep := o.Report
	require.True(t, rep.Failed())
	var printed bool
	for _, v := range rep.Violations {
		if v.Policy == pack.PolicyDirectEgressIPs && strings.Contains(v.Message, "use a /25 or larger") {
			printed = true
		}
	}
	require.True(t, printed, "the plan names the remedy: %v", rep.Violations)

	r, err := runSuggest(context.Background(), &suggestFlags{configFile: path, root: "../..", maxPlans: 150}, nil)
	require.NoError(t, err)
	require.Equal(t, "fail", r.Verdict)
	assert.Contains(t, r.Violations, pack.PolicyDirectEgressIPs)
	require.NotEmpty(t, r.Suggestions, "a passing fix is found")
	want := suggest.Change{Key: "network.regions.us-central1.direct.subnet", From: "10.9.0.0/26", To: "10.9.0.0/25"}
	assert.Equal(t, []suggest.Change{want}, r.Suggestions[0].Changes, "the plan's own remedy, alone, ranks first (free)")
	assert.Equal(t, "pass", r.Suggestions[0].Verdict)

	// Re-planned from the patched file, as a user would apply it.
	patched := filepath.Join(t.TempDir(), "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(patched, r.Suggestions[0].NewText(), 0o644))
	assert.Contains(t, string(r.Suggestions[0].NewText()), "subnet: 10.9.0.0/25   # 60 usable IPs", "the edit keeps the comment")
	ls, err = plan.Load("", patched, "", "")
	require.NoError(t, err)
	o, err = plan.Run(context.Background(), ls, nil)
	require.NoError(t, err)
	rep = o.Report
	assert.False(t, rep.Failed(), "%v", rep.Violations)
}
