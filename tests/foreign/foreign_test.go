// Package foreign judges Pulumi programs the repository did not generate —
// ordinary pulumi-gcp programs in Go and TypeScript, one per framework
// (tests/testdata/foreign) — with the policy pack under the real engine
// and the stand-in GCP provider: each is refused when its connection
// demand does not fit its Cloud SQL instance and passes when it does,
// including the pull-request flow (deployed with a small pool, then a
// larger pool previewed). The same states are captured as `pulumi preview
// --json` and `pulumi stack export` files, and `headroom plan --preview` /
// `--state` on them must reach the verdicts the pack reached under the
// engine, with `--base` between the two previews.
//
// Without the CLI, a language host, node or npm the tests skip with one
// line; HEADROOM_REQUIRE_ENGINE=1 (CI) makes that a failure.
package foreign

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/enginetest"
	"github.com/headroom-dev/headroom/testkit/standin/gcp"
)

// A framework's program and the stack config that makes its demand fit or
// not. The instance is a db-custom-1-3840 with the default max_connections
// (100): (100 − 5 reserved) × 0.8 = 76 usable, 10 of them admin slack; a
// rollout holds the old and the new revision's pools (2 × maxInstances).
type framework struct {
	dir     string // under tests/testdata/foreign/<lang>/
	project string // the Pulumi project name (config namespace)
	key     string // the config key carrying the pool (or worker count)
	fits    int    // demand fits
	over    int    // demand does not fit
	extra   map[string]string
}

var frameworks = []framework{
	// 10 + 2 × 10 instances × 1 = 30 fits; × 10 = 210 does not.
	{dir: "prisma", project: "orders-api", key: "connectionLimit", fits: 1, over: 10},
	{dir: "hikari", project: "billing-service", key: "hikariMaximumPoolSize", fits: 1, over: 10},
	// SQLAlchemy's default pool (5 + overflow 10) per gunicorn worker:
	// 10 + 2 × 1 instance × 1 × 15 = 40 fits; 4 workers = 130 does not.
	{dir: "gunicorn", project: "reports-web", key: "workers", fits: 1, over: 4, extra: map[string]string{"maxInstances": "1"}},
	// Puma: RAILS_MAX_THREADS per process × WEB_CONCURRENCY 2:
	// 10 + 2 × 10 × 2 = 50 fits; 5 threads = 210 does not.
	{dir: "rails", project: "storefront", key: "railsMaxThreads", fits: 1, over: 5},
	{dir: "pgx", project: "ledger-go", key: "poolMaxConns", fits: 1, over: 10},
}

const stack = "staging"

// run is one policy-gated command's outcome from its event log.
type run struct {
	enginetest.Result
	events    []apitype.EngineEvent
	mandatory []string
	packRan   bool
}

func pulumi(t *testing.T, sb *enginetest.Sandbox, args ...string) run {
	t.Helper()
	log := filepath.Join(t.TempDir(), "events.jsonl")
	r := sb.Pulumi(t, append(args, "--stack", stack, "--event-log", log, "--non-interactive")...)
	if _, err := os.Stat(log); err != nil {
		t.Fatalf("pulumi %v wrote no event log (exit %d):\n%s", args, r.Code, r.Out)
	}
	out := run{Result: r, events: enginetest.Events(t, log)}
	out.mandatory = enginetest.Mandatory(enginetest.Violations(out.events))
	_, out.packRan = enginetest.Summary(out.events, pack.Name)
	return out
}

// budget returns the connection-budget violations' messages.
func (r run) budget() []string {
	var out []string
	for _, ev := range r.events {
		if p := ev.PolicyEvent; p != nil && p.PolicyName == pack.PolicyConnectionBudget {
			out = append(out, p.EnforcementLevel+": "+p.Message)
		}
	}
	return out
}

// packConfig is an org's pack config for these stacks: the stack named
// staging is judged with staging strictness (stagingStacks), and every
// policy but the connection verdicts is advisory, so a refusal here is
// connection-budget's alone and a pass is not hidden by another policy.
func packConfig(t *testing.T) string {
	cfg := map[string]any{pack.PolicyCapacityModel: map[string]any{"stagingStacks": []string{stack}}}
	for _, p := range pack.Catalog() {
		switch p.Name {
		case pack.PolicyCapacityModel, pack.PolicyConnectionBudget, pack.PolicyDemandReadable:
		default:
			cfg[p.Name] = pack.LevelAdvisory
		}
	}
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "policy-config.json")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func TestForeignPrograms(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	e.Plugin(t)
	cfg := packConfig(t)
	root := filepath.Join(e.Root, "tests", "testdata", "foreign")
	langs := []struct {
		name string
		prep func(t *testing.T) func(fw framework) enginetest.Program
	}{
		{"go", func(t *testing.T) func(fw framework) enginetest.Program {
			bins := e.Module(t, "foreign-go", filepath.Join(root, "go"))
			return func(fw framework) enginetest.Program {
				return enginetest.Program{Dir: filepath.Join(root, "go", fw.dir), Binary: filepath.Join(bins, fw.dir)}
			}
		}},
		{"ts", func(t *testing.T) func(fw framework) enginetest.Program {
			e.NodeHost(t)
			nm := e.NodeModules(t)
			ts := filepath.Join(root, "ts")
			return func(fw framework) enginetest.Program {
				return enginetest.Program{Dir: filepath.Join(ts, fw.dir), NodeModules: nm,
					Shared: []string{filepath.Join(ts, "package.json"), filepath.Join(ts, "tsconfig.json")}}
			}
		}},
	}
	for _, lang := range langs {
		t.Run(lang.name, func(t *testing.T) {
			t.Parallel()
			program := lang.prep(t)
			for _, fw := range frameworks {
				t.Run(fw.dir, func(t *testing.T) {
					t.Parallel()
					p := program(fw)
					p.Stack = stack
					p.Config = map[string]string{"gcp:project": "acme-staging", "gcp:region": "us-central1",
						fw.project + ":" + fw.key: strconv.Itoa(fw.fits)}
					for k, v := range fw.extra {
						p.Config[fw.project+":"+k] = v
					}
					sb := e.NewProgramSandbox(t, p)
					judge(t, sb, fw, packBin, cfg)
				})
			}
		})
	}
}

// judge runs the pull-request flow on one program: deployed through the
// gate with a pool that fits, previewed unchanged (passes), then previewed
// with a pool that does not fit (refused, naming the service).
func judge(t *testing.T, sb *enginetest.Sandbox, fw framework, packBin, cfg string) {
	up := pulumi(t, sb, "up", "--yes", "--policy-pack", packBin, "--policy-pack-config", cfg)
	t.Logf("up (pool %d): %v, exit %d", fw.fits, up.Elapsed, up.Code)
	require.True(t, up.packRan, "the pack must run:\n%s", up.Out)
	require.Zero(t, up.Code, "a program whose demand fits must deploy through the gate:\n%s", up.Out)
	assert.Empty(t, up.budget(), "connection-budget on a fitting pool")

	// The stand-in named the resources as pulumi-gcp does.
	var svc *gcp.Record
	for _, r := range sb.State(t).Resources {
		if r.Type == gcp.TypeRunService {
			svc = r
		}
	}
	require.NotNil(t, svc, "the Cloud Run service was created")
	assert.Regexp(t, regexp.MustCompile(`^projects/acme-staging/locations/us-central1/services/api-[0-9a-f]{7}$`), svc.ID)

	pass := pulumi(t, sb, "preview", "--policy-pack", packBin, "--policy-pack-config", cfg)
	t.Logf("preview (pool %d, existing stack): %v, exit %d", fw.fits, pass.Elapsed, pass.Code)
	require.True(t, pass.packRan, pass.Out)
	assert.Zero(t, pass.Code, "passes:\n%s", pass.Out)
	assert.Empty(t, pass.mandatory, "no mandatory violation")
	assert.Empty(t, pass.budget(), "connection-budget on a fitting pool")

	// The deployed state and the preview of the unchanged program, as
	// files the offline plan reads.
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	exp := sb.Pulumi(t, "stack", "export", "--stack", stack, "--file", state)
	require.Zero(t, exp.Code, exp.Out)
	basePreview := capturePreview(t, sb, filepath.Join(dir, "base.preview.json"))

	set := sb.Pulumi(t, "config", "set", "--stack", stack, fw.key, strconv.Itoa(fw.over))
	require.Zero(t, set.Code, set.Out)
	refused := pulumi(t, sb, "preview", "--policy-pack", packBin, "--policy-pack-config", cfg)
	t.Logf("preview (pool %d, the pull request): %v, exit %d", fw.over, refused.Elapsed, refused.Code)
	require.True(t, refused.packRan, refused.Out)
	assert.NotZero(t, refused.Code, "refused:\n%s", refused.Out)
	assert.Equal(t, []string{pack.PolicyConnectionBudget}, refused.mandatory, "refused by connection-budget:\n%s", refused.Out)
	msgs := strings.Join(refused.budget(), "\n")
	assert.Contains(t, msgs, "api", "the finding names the service")

	// The offline plan agrees with the pack under the engine: the same
	// mandatory policies on the state, the unchanged preview and the pull
	// request's preview; and --base between the two previews is a verdict
	// change from pass to fail.
	headPreview := capturePreview(t, sb, filepath.Join(dir, "head.preview.json"))
	for _, c := range []struct {
		name string
		args []string
		want run
	}{
		{"state", []string{"--state", state}, pass},
		{"preview", []string{"--preview", basePreview}, pass},
		{"pull request preview", []string{"--preview", headPreview}, refused},
	} {
		p := offlinePlan(t, sb, cfg, c.args...)
		assert.Equal(t, c.want.mandatory, p.mandatory, "%s: headroom plan %v and the pack under the engine disagree:\n%s", c.name, c.args, p.out)
		assert.Equal(t, c.want.Code != 0, p.code != 0, "%s: exit %d under the engine, %d offline:\n%s", c.name, c.want.Code, p.code, p.out)
	}
	d := offlinePlan(t, sb, cfg, "--preview", headPreview, "--base", basePreview)
	require.NotNil(t, d.diff, d.out)
	assert.Equal(t, true, d.diff["changed"], d.out)
	assert.Equal(t, true, d.diff["thresholdCrossed"], d.out)
}

// capturePreview writes `pulumi preview --json --show-sames` of the
// sandbox's stack to path: without --show-sames the engine lists only the
// resources that change, and the offline plan refuses such a file.
func capturePreview(t *testing.T, sb *enginetest.Sandbox, path string) string {
	t.Helper()
	r := sb.Pulumi(t, "preview", "--json", "--show-sames", "--stack", stack, "--non-interactive")
	require.Zero(t, r.Code, r.Out)
	require.NoError(t, os.WriteFile(path, []byte(r.Stdout), 0o644))
	return path
}

// planned is `headroom plan --format json` of captured files.
type planned struct {
	code      int
	out       string
	mandatory []string
	diff      map[string]any
}

func offlinePlan(t *testing.T, sb *enginetest.Sandbox, cfg string, args ...string) planned {
	t.Helper()
	r := sb.Headroom(t, append([]string{"plan", "--policy-config", cfg, "--format", "json"}, args...)...)
	require.Contains(t, []int{0, 1}, r.Code, r.Out)
	var doc struct {
		Violations []struct {
			Policy string `json:"policy"`
			Level  string `json:"level"`
		} `json:"violations"`
		Diff map[string]any `json:"diff"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &doc), r.Out)
	p := planned{code: r.Code, out: r.Out, diff: doc.Diff}
	seen := map[string]bool{}
	for _, v := range doc.Violations {
		if v.Level == pack.LevelMandatory && !seen[v.Policy] {
			seen[v.Policy] = true
			p.mandatory = append(p.mandatory, v.Policy)
		}
	}
	sort.Strings(p.mandatory)
	return p
}
