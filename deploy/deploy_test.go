package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/testkit/golden"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

func init() { drainTimeout = 50 * time.Millisecond }

// loadEvents reads a recorded event log, rejecting any field apitype does
// not know: the fixtures must stay true to the engine's JSON.
func loadEvents(t *testing.T, name string) []apitype.EngineEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var out []apitype.EngineEvent
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var e apitype.EngineEvent
		require.NoError(t, dec.Decode(&e), "%s line %d", name, i+1)
		out = append(out, e)
	}
	evs, err := ReadEventLog(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, out, evs)
	return out
}

// fakeStack replays recorded engine events into the event channels the
// caller passed, and closes them, as the Automation API does.
type fakeStack struct {
	t        *testing.T
	calls    *[]string
	previews []string // one fixture per Preview call, in order
	refresh  string
	up       string
	// refreshes, when set, are the PreviewRefresh fixtures in call
	// order (else refresh every time); realRefresh is Refresh's (else
	// refresh).
	refreshes   []string
	realRefresh string
	realRefErr  error

	previewErr, refreshErr, upErr error
	silent                        bool // fail before streaming: no events, channels left open

	// Update plans, as the CLI handles them: a successful preview with
	// optpreview.Plan(P) writes the plan to P (pulumi preview
	// --save-plan=P); a failed one writes nothing.
	noPlan    bool   // the preview succeeds but writes no plan
	planBytes []byte // written instead of testdata/update-plan.json when set

	previewOpts []optpreview.Options
	refreshOpts []optrefresh.Options
	upOpts      []optup.Options
	// upPlans is the content of the plan file at Up's optup.Plan path when
	// Up was called (nil: no such file), as pulumi up --plan reads it.
	upPlans [][]byte
}

func (f *fakeStack) savePlan(path string) {
	if path == "" || f.previewErr != nil || f.noPlan {
		return
	}
	b := f.planBytes
	if b == nil {
		var err error
		b, err = os.ReadFile(filepath.Join("testdata", "update-plan.json"))
		require.NoError(f.t, err)
	}
	require.NoError(f.t, os.WriteFile(path, b, 0o644))
}

func (f *fakeStack) replay(name string, chans []chan<- events.EngineEvent) {
	if f.silent {
		return
	}
	for _, e := range loadEvents(f.t, name) {
		for _, c := range chans {
			c <- events.EngineEvent{EngineEvent: e}
		}
	}
	for _, c := range chans {
		close(c)
	}
}

func (f *fakeStack) Preview(_ context.Context, opts ...optpreview.Option) (auto.PreviewResult, error) {
	*f.calls = append(*f.calls, "preview")
	var o optpreview.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.previewOpts = append(f.previewOpts, o)
	require.NotEmpty(f.t, f.previews, "unexpected preview")
	name := f.previews[0]
	f.previews = f.previews[1:]
	f.replay(name, o.EventStreams)
	f.savePlan(o.Plan)
	return auto.PreviewResult{}, f.previewErr
}

func (f *fakeStack) PreviewRefresh(_ context.Context, opts ...optrefresh.Option) (auto.PreviewResult, error) {
	*f.calls = append(*f.calls, "refresh-preview")
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.refreshOpts = append(f.refreshOpts, o)
	name := f.refresh
	if len(f.refreshes) > 0 {
		name, f.refreshes = f.refreshes[0], f.refreshes[1:]
	}
	f.replay(name, o.EventStreams)
	return auto.PreviewResult{}, f.refreshErr
}

func (f *fakeStack) Refresh(_ context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	*f.calls = append(*f.calls, "refresh")
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.refreshOpts = append(f.refreshOpts, o)
	name := f.realRefresh
	if name == "" {
		name = f.refresh
	}
	if name == "" {
		name = "refresh-drift.jsonl" // the refresh records the drift found
	}
	f.replay(name, o.EventStreams)
	return auto.RefreshResult{}, f.realRefErr
}

func (f *fakeStack) Up(_ context.Context, opts ...optup.Option) (auto.UpResult, error) {
	*f.calls = append(*f.calls, "up")
	var o optup.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.upOpts = append(f.upOpts, o)
	b, err := os.ReadFile(o.Plan)
	if err != nil {
		b = nil
	}
	f.upPlans = append(f.upPlans, b)
	f.replay(f.up, o.EventStreams)
	return auto.UpResult{}, f.upErr
}

func opener(calls *[]string, st *fakeStack) Opener {
	return func(_ context.Context, stack, _ string) (Stack, error) {
		*calls = append(*calls, "open:"+stack)
		return st, nil
	}
}

// gateReport is a passing (or failing) offline plan.
func gateReport(fail bool) report.Report {
	in := report.PlanInput{
		Stack: "staging", Environment: "staging",
		Counts: map[string]int{"gcp:sql/databaseInstance:DatabaseInstance": 1, "gcp:cloudrunv2/service:Service": 1},
		Topology: capacity.Topology{Targets: capacity.Targets{StartupSuccessRate: 0.9, ConnectP99Seconds: 30, ConnectionUtilization: 0.8},
			Databases: []capacity.Database{{Name: "staging-shared-postgres", Region: "us-central1", Tier: "db-custom-2-7680", Availability: "ZONAL", MaxConnections: 400}}},
		Capacity: capacity.Report{
			Budgets: []capacity.ConnectionBudget{{Database: "staging-shared-postgres", Region: "us-central1", MaxConnections: 400, MaxConnectionsExplicit: true,
				Reserved: 5, AdminSlack: 10, Usable: 395, Allowed: 316, Demand: 160, Utilization: 160.0 / 395, Severity: capacity.SeverityOK}},
			Simulation: capacity.SimResult{Instances: 10, SuccessRate: 1, Series: []capacity.SeriesPoint{{Seconds: 0}, {Seconds: 5, Ready: 10}}},
		},
	}
	if fail {
		in.Violations = []report.Violation{{Policy: "connection-budget", Level: "mandatory", Message: "demand 510 > allowed 316", Resource: "staging-shared-postgres"}}
	}
	return report.FromPlan(in)
}

func packFiles(t *testing.T) Policy {
	dir := t.TempDir()
	pack := filepath.Join(dir, "headroom-policies")
	require.NoError(t, os.WriteFile(pack, []byte("#!/bin/sh\n"), 0o755))
	cfg := filepath.Join(dir, "policy-config.json")
	require.NoError(t, os.WriteFile(cfg, []byte("{}"), 0o644))
	return Policy{Pack: pack, Name: "headroom", Config: cfg}
}

func TestUp(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		gateFails bool
		previews  []string
		previewEr error
		silent    bool
		yes       bool
		confirm   *bool // nil: no Confirm func
		upErr     error
		badPack   bool
		noPlan    bool   // the preview succeeds without writing a plan
		planBytes []byte // what the preview writes as its plan instead of the fixture
		planFile  string // "keep": --plan-file in a temp dir; "nodir": in a missing directory

		wantCalls   []string
		wantCode    int
		wantErr     string
		wantApplied bool
		wantPolicy  []string // policy names in the report
	}{
		{name: "gate fails: nothing opened", gateFails: true, yes: true,
			wantCalls: []string{"gate"}, wantCode: ExitViolations, wantPolicy: []string{"connection-budget"}},
		{name: "clean preview then up with --yes", previews: []string{"preview-clean.jsonl"}, yes: true,
			wantCalls: []string{"gate", "open:staging", "preview", "up"}, wantCode: ExitOK, wantApplied: true, wantPolicy: []string{"sql-max-connections-explicit"}},
		{name: "mandatory violation in preview: no up", previews: []string{"preview-mandatory.jsonl"}, previewEr: errBoom, yes: true,
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitViolations, wantPolicy: []string{"connection-budget", "timeout-budget"}},
		{name: "pack did not run: fail closed", previews: []string{"preview-nopack.jsonl"}, yes: true,
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitFailure, wantErr: `policy pack "headroom" did not run`},
		{name: "preview fails before streaming (pack cannot load): fail closed", previews: []string{"preview-clean.jsonl"}, silent: true, previewEr: errBoom, yes: true,
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitFailure, wantErr: "boom"},
		{name: "declined", previews: []string{"preview-clean.jsonl"}, confirm: ptr(false),
			wantCalls: []string{"gate", "open:staging", "preview", "review", "confirm"}, wantCode: ExitViolations},
		{name: "confirmed", previews: []string{"preview-clean.jsonl"}, confirm: ptr(true),
			wantCalls: []string{"gate", "open:staging", "preview", "review", "confirm", "up"}, wantCode: ExitOK, wantApplied: true},
		{name: "no --yes and no terminal", previews: []string{"preview-clean.jsonl"},
			wantCalls: nil, wantCode: ExitUsage, wantErr: "--yes is required"},
		{name: "pack missing", badPack: true, yes: true,
			wantCalls: nil, wantCode: ExitUsage, wantErr: "--policy-pack"},
		{name: "update fails", previews: []string{"preview-clean.jsonl"}, yes: true, upErr: errBoom,
			wantCalls: []string{"gate", "open:staging", "preview", "up"}, wantCode: ExitFailure, wantErr: "update of staging failed"},
		{name: "preview succeeded but saved no plan: fail closed", previews: []string{"preview-clean.jsonl"}, yes: true, noPlan: true,
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitFailure, wantErr: "nothing was changed"},
		{name: "preview saved an empty plan: fail closed", previews: []string{"preview-clean.jsonl"}, yes: true, planBytes: []byte{},
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitFailure, wantErr: "no usable update plan"},
		{name: "preview saved something that is not a plan: fail closed", previews: []string{"preview-clean.jsonl"}, yes: true, planBytes: []byte(`{"resourcePlans":{}}`),
			wantCalls: []string{"gate", "open:staging", "preview"}, wantCode: ExitFailure, wantErr: "no manifest time"},
		{name: "update deviates from the plan", previews: []string{"preview-clean.jsonl"}, yes: true,
			upErr:     errors.New("failed to run update: exit status 255\ncode: 255\nstdout: \nstderr: error: resource urn:pulumi:staging::headroom::headroom:workloads:Service$gcp:cloudrunv2/service:Service::netra-backend-us-central1 violates plan: properties changed: ~~template[{scaling:{maxInstanceCount:17}}!={scaling:{maxInstanceCount:40}}]\n"),
			wantCalls: []string{"gate", "open:staging", "preview", "up"}, wantCode: ExitFailure, wantErr: "deviated from the previewed plan"},
		{name: "--plan-file keeps the plan", previews: []string{"preview-clean.jsonl"}, yes: true, planFile: "keep",
			wantCalls: []string{"gate", "open:staging", "preview", "up"}, wantCode: ExitOK, wantApplied: true},
		{name: "--plan-file keeps the plan of a declined run", previews: []string{"preview-clean.jsonl"}, confirm: ptr(false), planFile: "keep",
			wantCalls: []string{"gate", "open:staging", "preview", "review", "confirm"}, wantCode: ExitViolations},
		{name: "--plan-file in a missing directory", previews: []string{"preview-clean.jsonl"}, yes: true, planFile: "nodir",
			wantCalls: nil, wantCode: ExitUsage, wantErr: "--plan-file"},
	}
	fixture, err := os.ReadFile(filepath.Join("testdata", "update-plan.json"))
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			st := &fakeStack{t: t, calls: &calls, previews: tt.previews, up: "update-ok.jsonl",
				previewErr: tt.previewEr, silent: tt.silent, upErr: tt.upErr, noPlan: tt.noPlan, planBytes: tt.planBytes}
			pol := packFiles(t)
			if tt.badPack {
				pol.Pack = filepath.Join(t.TempDir(), "missing")
			}
			var planFile string
			switch tt.planFile {
			case "keep":
				planFile = filepath.Join(t.TempDir(), "staging.plan.json")
				// A stale plan from an earlier run is replaced.
				require.NoError(t, os.WriteFile(planFile, []byte("stale"), 0o644))
			case "nodir":
				planFile = filepath.Join(t.TempDir(), "missing", "staging.plan.json")
			}
			o := UpOptions{Stack: "staging", Policy: pol, Yes: tt.yes, PlanFile: planFile,
				Gate: func(context.Context) (report.Report, error) {
					calls = append(calls, "gate")
					return gateReport(tt.gateFails), nil
				}}
			if tt.confirm != nil {
				o.Review = func(r report.Report) {
					calls = append(calls, "review")
					require.NotNil(t, r.Preview)
					assert.Len(t, r.Preview.Steps, 1, "the operator sees the previewed steps")
				}
				o.Confirm = func(prompt string) (bool, error) {
					calls = append(calls, "confirm")
					assert.Equal(t, "Apply 1 to update to stack staging?", prompt)
					return *tt.confirm, nil
				}
			}
			out, err := Up(context.Background(), opener(&calls, st), o)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantCode, out.Code)
			assert.Equal(t, tt.wantApplied, out.Applied)
			if tt.wantPolicy != nil {
				var got []string
				for _, v := range out.Report.Violations {
					got = append(got, v.Policy)
				}
				assert.Equal(t, tt.wantPolicy, got)
			}
			if strings.HasPrefix(tt.name, "pack did not run") {
				require.NotNil(t, out.Report.Preview)
				assert.Contains(t, strings.Join(out.Report.Preview.Errors, "\n"), `policy pack "headroom" did not run`, "the report says the pack's results are missing")
			}
			for _, o := range st.previewOpts {
				assert.Equal(t, []string{pol.Pack}, o.PolicyPacks, "preview runs the pack")
				assert.Equal(t, []string{pol.Config}, o.PolicyPackConfigs)
			}
			for _, o := range st.upOpts {
				assert.Equal(t, []string{pol.Pack}, o.PolicyPacks, "up runs the pack")
				assert.Equal(t, []string{pol.Config}, o.PolicyPackConfigs)
			}

			// Update plans: the preview saves one to P, up is
			// constrained to P, and P is gone afterwards.
			require.LessOrEqual(t, len(st.previewOpts), 1)
			if len(st.previewOpts) == 0 {
				assert.Empty(t, st.upOpts)
				return
			}
			plan := st.previewOpts[0].Plan
			require.NotEmpty(t, plan, "the preview saves an update plan (--save-plan)")
			assert.True(t, filepath.IsAbs(plan), plan)
			require.Len(t, st.upOpts, len(st.upPlans))
			for i, uo := range st.upOpts {
				assert.Equal(t, plan, uo.Plan, "up is constrained to the plan the preview saved (--plan)")
				assert.Equal(t, fixture, st.upPlans[i], "the previewed plan is in place when up reads it")
			}
			_, err = os.Stat(plan)
			assert.ErrorIs(t, err, fs.ErrNotExist, "the plan file is removed after up")
			_, err = os.Stat(filepath.Dir(plan))
			assert.ErrorIs(t, err, fs.ErrNotExist, "so is its temporary directory")
			if tt.planFile == "keep" {
				kept, err := os.ReadFile(planFile)
				require.NoError(t, err)
				assert.Equal(t, fixture, kept, "--plan-file keeps the plan up used")
				fi, err := os.Stat(planFile)
				require.NoError(t, err)
				assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "the plan holds the stack config: owner-only")
				assert.Equal(t, planFile, out.PlanFile)
			} else {
				assert.Empty(t, out.PlanFile)
			}
		})
	}
}

// TestPlanFixture keeps testdata/update-plan.json true to the plan format
// pulumi preview --save-plan writes (apitype.DeploymentPlanV1).
func TestPlanFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "update-plan.json"))
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p apitype.DeploymentPlanV1
	require.NoError(t, dec.Decode(&p))
	assert.False(t, p.Manifest.Time.IsZero())
	require.NoError(t, checkPlan(filepath.Join("testdata", "update-plan.json")))
}

func TestIsPlanViolation(t *testing.T) {
	for msg, want := range map[string]bool{
		"resource urn:pulumi:s::p::t::n violates plan: properties changed":        true,
		"update is not allowed by the plan: this resource is constrained to same": true,
		"googleapi: Error 409: already exists":                                    false,
	} {
		assert.Equal(t, want, isPlanViolation(errors.New(msg)), msg)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDrift(t *testing.T) {
	tests := []struct {
		name      string
		refresh   string
		preview   string
		previewEr error
		wantCode  int
		wantErr   string
		wantSteps []string // op:name of refresh then preview steps
	}{
		{name: "clean", refresh: "refresh-clean.jsonl", preview: "preview-nochanges.jsonl", wantCode: ExitOK},
		{name: "cloud drifted", refresh: "refresh-drift.jsonl", preview: "preview-nochanges.jsonl", wantCode: ExitDrift,
			wantSteps: []string{"update:staging-shared-postgres", "delete:netra-backend-us-central1"}},
		{name: "program would change", refresh: "refresh-clean.jsonl", preview: "preview-clean.jsonl", previewEr: errors.New("expected no changes"), wantCode: ExitDrift,
			wantSteps: []string{"update:netra-backend-us-central1"}},
		{name: "pack did not run", refresh: "refresh-clean.jsonl", preview: "preview-nopack.jsonl", wantCode: ExitFailure, wantErr: "did not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			st := &fakeStack{t: t, calls: &calls, refresh: tt.refresh, previews: []string{tt.preview}, previewErr: tt.previewEr}
			out, err := Drift(context.Background(), opener(&calls, st), DriftOptions{Stack: "staging", Environment: "staging", Policy: packFiles(t)})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, []string{"open:staging", "refresh-preview", "preview"}, calls)
			assert.Equal(t, tt.wantCode, out.Code)
			require.Len(t, st.previewOpts, 1)
			po := st.previewOpts[0]
			assert.True(t, po.ExpectNoChanges, "preview --expect-no-changes")
			assert.True(t, po.Refresh, "preview on the refreshed state")
			assert.NotEmpty(t, po.PolicyPacks)
			var got []string
			for _, s := range append(out.Report.Drift.Refresh.Steps, out.Report.Drift.Preview.Steps...) {
				got = append(got, s.Op+":"+s.Name)
			}
			assert.ElementsMatch(t, tt.wantSteps, got)
			assert.Equal(t, tt.wantCode == ExitDrift, out.Report.Drift.Detected)
		})
	}
}

func TestConvert(t *testing.T) {
	rec := Convert("preview", loadEvents(t, "preview-mandatory.jsonl"))
	assert.True(t, rec.Summarized)
	require.Len(t, rec.Violations, 2)
	assert.Equal(t, report.Violation{Policy: "connection-budget", Level: "mandatory", Resource: "",
		Message: "staging-shared-postgres: demand 510 > allowed 316 of 395 usable slots; raise max_connections to ≥ 651 or lower netra-backend maxInstances to ≤ 17"}, rec.Violations[0])
	assert.Equal(t, "advisory", rec.Violations[1].Level, "an excepted mandatory violation does not block")
	assert.Contains(t, rec.Violations[1].Message, "(excepted)")
	assert.Equal(t, []string{"preview failed: 1 mandatory policy violation"}, rec.Changes.Errors)
	assert.Equal(t, map[string]string{"headroom": "v0.1.0"}, rec.Changes.PolicyPacks)

	drift := Convert("refresh", loadEvents(t, "refresh-drift.jsonl"))
	require.Len(t, drift.Changes.Steps, 2)
	assert.Equal(t, []string{"settings.databaseFlags[0].value", "settings.tier"}, drift.Changes.Steps[0].Diffs, "detailed diff paths win over top-level keys")
	assert.Equal(t, map[string]int{"same": 1, "update": 1, "delete": 1}, drift.Changes.Summary)

	// The real engine (v3.274.1) keys a local pack "name|local|path" in
	// preview and update summaries; the report keys it by name.
	local := Convert("preview", []apitype.EngineEvent{{SummaryEvent: &apitype.SummaryEvent{
		PolicyPacks: map[string]string{"headroom|local|/repo/policies/bin/headroom-policies": "0.1.0"}}}})
	assert.Equal(t, map[string]string{"headroom": "0.1.0"}, local.Changes.PolicyPacks)
	assert.True(t, packRan(local, "headroom"))

	// Without a summary event (the engine stopped), steps are counted.
	evs := loadEvents(t, "preview-clean.jsonl")
	partial := Convert("preview", evs[:6])
	assert.False(t, partial.Summarized)
	assert.Equal(t, map[string]int{"same": 3, "update": 1}, partial.Changes.Summary)
}

func TestReadEventLogRejectsGarbage(t *testing.T) {
	_, err := ReadEventLog(strings.NewReader("{\"sequence\":1}\nnot json\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2")
}

// TestReportGoldens renders the up and drift reports built from recorded
// engine events, and validates their JSON against the schema.
func TestReportGoldens(t *testing.T) {
	var calls []string
	st := &fakeStack{t: t, calls: &calls, previews: []string{"preview-mandatory.jsonl"}, previewErr: errors.New("mandatory")}
	up, err := Up(context.Background(), opener(&calls, st), UpOptions{Stack: "staging", Policy: packFiles(t), Yes: true,
		Gate: func(context.Context) (report.Report, error) { return gateReport(false), nil }})
	require.NoError(t, err)
	st = &fakeStack{t: t, calls: &calls, refresh: "refresh-drift.jsonl", previews: []string{"preview-clean.jsonl"}, previewErr: errors.New("changes")}
	drift, err := Drift(context.Background(), opener(&calls, st), DriftOptions{Stack: "staging", Environment: "staging", Policy: packFiles(t)})
	require.NoError(t, err)

	for name, r := range map[string]report.Report{"up-mandatory": up.Report, "drift": drift.Report} {
		t.Run(name, func(t *testing.T) {
			var txt, md, js bytes.Buffer
			require.NoError(t, report.Text(&txt, r, report.TextOptions{}))
			require.NoError(t, report.Markdown(&md, r, report.MarkdownOptions{}))
			require.NoError(t, report.JSON(&js, r))
			require.NoError(t, report.Validate(js.Bytes()))
			mdcheck.Check(t, md.Bytes(), mdcheck.Expect{Tables: 2})
			for ext, b := range map[string][]byte{"txt": txt.Bytes(), "md": md.Bytes(), "json": js.Bytes()} {
				golden.Assert(t, filepath.Join("testdata", name+"."+ext), b)
			}
		})
	}
}

// FuzzConvertEventLog feeds arbitrary event logs through the parser and the
// converter: they must return an error or a report, never panic, and the
// report must satisfy the JSON contract.
func FuzzConvertEventLog(f *testing.F) {
	for _, name := range []string{"preview-clean.jsonl", "preview-mandatory.jsonl", "refresh-drift.jsonl", "update-ok.jsonl", "preview-replace-connector.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b, "preview")
	}
	f.Add([]byte(`{"policyEvent":{"enforcementLevel":"mandatory"}}`), "refresh")
	f.Add([]byte(`{"resOutputsEvent":{"metadata":{"op":"update","urn":"x"}}}`), "refresh")
	f.Add([]byte(`{"diagnosticEvent":{"severity":"error","message":"unable to replace resource \"urn:pulumi:s::p::gcp:sql/databaseInstance:DatabaseInstance::db\"\nas it is protected"}}`), "preview")
	f.Add([]byte(`{"diagnosticEvent":{"severity":"error","message":"resource \"urn:pulumi:s::p::t::n\" cannot be deleted\nbecause it is protected"}}`), "update")
	f.Add([]byte(`{"resourcePreEvent":{"metadata":{"op":"delete-replaced","urn":"urn:pulumi:s::p::gcp:compute/network:Network::vpc","type":"gcp:compute/network:Network"}}}`), "preview")
	f.Fuzz(func(t *testing.T, data []byte, op string) {
		evs, err := ReadEventLog(bytes.NewReader(data))
		if err != nil {
			return
		}
		if op != "refresh" && op != "update" {
			op = "preview"
		}
		rec := Convert(op, evs)
		r := report.Report{Kind: report.KindDrift, Stack: "s", Violations: rec.Violations,
			Drift: &report.Drift{Detected: len(rec.Changes.Steps) > 0, Refresh: rec.Changes, Preview: rec.Changes}}
		r.Finalize()
		var js bytes.Buffer
		require.NoError(t, report.JSON(&js, r))
		if err := report.Validate(js.Bytes()); err != nil {
			// Only engine-supplied empty policy names/messages may break
			// the contract's minLength rules.
			for _, v := range r.Violations {
				if v.Policy == "" || v.Message == "" {
					return
				}
			}
			t.Fatalf("report from events violates the schema: %v\n%s", err, js.Bytes())
		}
	})
}

func TestEngineError(t *testing.T) {
	inner := errors.New("failed to run preview: exit status 1\ncode: 1\nstdout: Previewing update (staging):\n\nstderr: error: failed to load language plugin go: no language plugin 'pulumi-language-go' found\n")
	err := engineError(inner)
	assert.Equal(t, "failed to load language plugin go: no language plugin 'pulumi-language-go' found", err.Error())
	assert.ErrorIs(t, err, inner)
	plain := errors.New("boom")
	assert.Equal(t, plain, engineError(plain))
	assert.NoError(t, engineError(nil))
}
