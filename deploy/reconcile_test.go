package deploy

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/testkit/golden"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

var (
	detect      = []string{"open:staging", "refresh-preview", "preview"}
	reapply     = []string{"refresh", "gate", "preview", "up"}
	verify      = []string{"refresh-preview", "preview"}
	errBoom     = errors.New("boom")
	pinnedClock = func() time.Time { return time.Date(2026, 11, 29, 6, 17, 0, 0, time.UTC) }
)

func seq(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name      string
		st        fakeStack
		gateFails bool
		dryRun    bool
		allow     AllowList
		cancel    bool

		calls      []string
		code       int
		result     string
		err        string
		reason     string
		upPinned   bool // the update ran constrained to the preview's plan
		staleSteps int  // steps left in the check afterwards
	}{
		{name: "in sync: nothing else runs",
			st:    fakeStack{refreshes: []string{"refresh-clean.jsonl"}, previews: []string{"preview-nochanges.jsonl"}},
			calls: detect, code: ExitOK, result: report.ResultInSync, reason: "in sync"},
		{name: "drift: refresh, gate, preview, update pinned to the plan, check again",
			st: fakeStack{refreshes: []string{"refresh-drift.jsonl", "refresh-clean.jsonl"}, realRefresh: "refresh-drift.jsonl",
				previews: []string{"preview-nochanges.jsonl", "preview-clean.jsonl", "preview-nochanges.jsonl"}, up: "update-ok.jsonl"},
			calls: seq(detect, reapply, verify), code: ExitOK, result: report.ResultReconciled, reason: "reconciled", upPinned: true},
		{name: "dry run: drift reported, nothing changed",
			st:     fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl"}},
			dryRun: true, calls: detect, code: ExitDrift, result: report.ResultDrift, reason: "drift left unreconciled"},
		{name: "the gate refuses: no preview, no update",
			st:        fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl"}},
			gateFails: true, calls: seq(detect, []string{"refresh", "gate"}), code: ExitViolations, result: report.ResultRefused, reason: "gate failed"},
		{name: "the pack refuses the re-apply",
			st: fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl", "preview-mandatory.jsonl"},
				previewErr: nil},
			calls: seq(detect, []string{"refresh", "gate", "preview"}), code: ExitViolations, result: report.ResultRefused, reason: "mandatory policy violation"},
		{name: "change safety refuses a connector replacement",
			st:    fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl", "preview-replace-connector.jsonl"}},
			calls: seq(detect, []string{"refresh", "gate", "preview"}), code: ExitViolations, result: report.ResultRefused, reason: "would replace staging-connector"},
		{name: "change safety: an allowed connector replacement is applied",
			st: fakeStack{refreshes: []string{"refresh-drift.jsonl", "refresh-clean.jsonl"},
				previews: []string{"preview-nochanges.jsonl", "preview-replace-connector.jsonl", "preview-nochanges.jsonl"}, up: "update-ok.jsonl"},
			allow: AllowList{"staging-connector"}, calls: seq(detect, reapply, verify), code: ExitOK, result: report.ResultReconciled, upPinned: true},
		{name: "the drift check fails (pack did not run): fail closed before the refresh",
			st:    fakeStack{refreshes: []string{"refresh-clean.jsonl"}, previews: []string{"preview-nopack.jsonl"}},
			calls: detect, code: ExitFailure, result: report.ResultFailed, err: "did not run"},
		{name: "the refresh fails: no gate, no update",
			st:    fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl"}, realRefErr: errBoom},
			calls: seq(detect, []string{"refresh"}), code: ExitFailure, result: report.ResultFailed, err: "nothing was applied"},
		{name: "the update fails",
			st: fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl", "preview-clean.jsonl"},
				up: "update-ok.jsonl", upErr: errBoom},
			calls: seq(detect, reapply), code: ExitFailure, result: report.ResultFailed, err: "update of staging failed", upPinned: true},
		{name: "still drifting after the update",
			st: fakeStack{refreshes: []string{"refresh-drift.jsonl", "refresh-drift.jsonl"},
				previews: []string{"preview-nochanges.jsonl", "preview-clean.jsonl", "preview-nochanges.jsonl"}, up: "update-ok.jsonl"},
			calls: seq(detect, reapply, verify), code: ExitDrift, result: report.ResultDrift, reason: "still drifts", upPinned: true, staleSteps: 2},
		{name: "cancelled: nothing is applied",
			st:     fakeStack{refreshes: []string{"refresh-drift.jsonl"}, previews: []string{"preview-nochanges.jsonl"}},
			cancel: true, calls: detect, code: ExitFailure, result: report.ResultFailed, err: "interrupted"},
		{name: "bad --allow-replace: nothing runs",
			allow: AllowList{"two words"}, calls: nil, code: ExitUsage, result: report.ResultFailed, err: "--allow-replace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			st := tt.st
			st.t, st.calls = t, &calls
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			out, err := Reconcile(ctx, opener(&calls, &st), ReconcileOptions{
				Stack: "staging", Environment: "staging", Policy: packFiles(t), DryRun: tt.dryRun, AllowReplace: tt.allow, Now: pinnedClock,
				Gate: func(context.Context) (report.Report, error) {
					calls = append(calls, "gate")
					return gateReport(tt.gateFails), nil
				}})
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.calls, calls)
			assert.Equal(t, tt.code, out.Code)
			assert.Equal(t, tt.upPinned && tt.code != ExitFailure, out.Applied, "applied iff the update ran and succeeded")
			if tt.reason != "" {
				assert.Contains(t, out.Reason, tt.reason)
			}

			r := out.Report
			assert.Equal(t, report.KindReconcile, r.Kind)
			require.NotNil(t, r.Reconcile)
			assert.Equal(t, tt.result, r.Reconcile.Result)
			assert.Equal(t, tt.code, r.Reconcile.ExitCode)
			assert.Equal(t, tt.dryRun, r.Reconcile.DryRun)
			assert.NotEmpty(t, r.Reconcile.Reason)
			assert.Equal(t, pinnedClock(), r.Reconcile.StartedAt)
			var js bytes.Buffer
			require.NoError(t, report.JSON(&js, r))
			require.NoError(t, report.Validate(js.Bytes()), "%s", js.Bytes())

			// The drift check never writes: preview-only refresh and
			// preview --expect-no-changes, both with the pack.
			for i, po := range st.previewOpts {
				if po.ExpectNoChanges {
					assert.True(t, po.Refresh)
					assert.Empty(t, po.Plan, "preview %d: the drift check saves no plan", i)
				} else {
					assert.NotEmpty(t, po.Plan, "preview %d: the re-apply's preview saves the plan", i)
				}
				assert.NotEmpty(t, po.PolicyPacks, "preview %d runs the pack", i)
			}
			if tt.upPinned {
				require.Len(t, st.upOpts, 1)
				require.Len(t, st.previewOpts, 2+len(verify)/2*boolInt(tt.code != ExitFailure))
				assert.Equal(t, st.previewOpts[1].Plan, st.upOpts[0].Plan, "the update is pinned to the gated preview's plan")
				assert.NotNil(t, st.upPlans[0], "the plan was in place")
			} else {
				assert.Empty(t, st.upOpts)
			}
			if r.Reconcile.Verify != nil {
				assert.Len(t, r.Reconcile.Verify.Refresh.Steps, tt.staleSteps)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSchedule(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	codes := []int{ExitDrift, ExitFailure, ExitOK}
	runs := 0
	r := []float64{0, 0.5, 0.999}
	code, err := Schedule(ctx, ScheduleOptions{Interval: 10 * time.Minute, Jitter: 2 * time.Minute,
		Rand: func() float64 { v := r[0]; r = r[1:]; return v },
		Wait: func(ctx context.Context, d time.Duration) bool {
			waits = append(waits, d)
			if len(waits) == 3 {
				cancel()
				return false
			}
			return true
		}}, func(ctx context.Context) int {
		require.NoError(t, ctx.Err(), "a run starts only while the context is live")
		runs++
		return codes[runs-1]
	})
	require.NoError(t, err)
	assert.Equal(t, 3, runs, "a failed run does not stop the loop")
	assert.Equal(t, ExitOK, code, "the last finished run's code")
	assert.Equal(t, []time.Duration{10 * time.Minute, 11 * time.Minute, 10*time.Minute + time.Duration(0.999*float64(2*time.Minute))}, waits,
		"interval plus jitter in [0, jitter)")

	// A run interrupted by the context ends the loop with its own code.
	ctx2, cancel2 := context.WithCancel(context.Background())
	code, err = Schedule(ctx2, ScheduleOptions{Interval: time.Minute}, func(context.Context) int { cancel2(); return ExitFailure })
	require.NoError(t, err)
	assert.Equal(t, ExitFailure, code)

	// The real timer wait returns when the context ends.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel3()
	runs = 0
	code, err = Schedule(ctx3, ScheduleOptions{Interval: time.Hour}, func(context.Context) int { runs++; return ExitDrift })
	require.NoError(t, err)
	assert.Equal(t, 1, runs)
	assert.Equal(t, ExitDrift, code)

	for _, bad := range []ScheduleOptions{{}, {Interval: -time.Second}, {Interval: time.Minute, Jitter: -1}} {
		_, err := Schedule(context.Background(), bad, func(context.Context) int { t.Fatal("must not run"); return 0 })
		require.ErrorIs(t, err, ErrInterval)
	}
}

// TestReconcileGoldens renders a reconciled run and a run refused by
// change safety, and validates their JSON against the schema.
func TestReconcileGoldens(t *testing.T) {
	run := func(st fakeStack, allow AllowList) report.Report {
		var calls []string
		st.t, st.calls = t, &calls
		out, _ := Reconcile(context.Background(), opener(&calls, &st), ReconcileOptions{
			Stack: "staging", Environment: "staging", Policy: packFiles(t), AllowReplace: allow, Now: pinnedClock,
			Gate: func(context.Context) (report.Report, error) { return gateReport(false), nil }})
		return out.Report
	}
	reports := map[string]report.Report{
		"reconcile-reconciled": run(fakeStack{refreshes: []string{"refresh-drift.jsonl", "refresh-clean.jsonl"}, realRefresh: "refresh-drift.jsonl",
			previews: []string{"preview-nochanges.jsonl", "preview-clean.jsonl", "preview-nochanges.jsonl"}, up: "update-ok.jsonl"}, nil),
		"reconcile-refused-replace": run(fakeStack{refreshes: []string{"refresh-drift.jsonl"},
			previews: []string{"preview-nochanges.jsonl", "preview-replace-connector.jsonl"}}, nil),
	}
	for name, r := range reports {
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
			if name == "reconcile-refused-replace" {
				assert.Contains(t, txt.String(), "⚠ 1 STATEFUL RESOURCE(S) WOULD BE REPLACED OR DELETED")
				assert.Contains(t, md.String(), "[!CAUTION]")
				assert.Contains(t, txt.String(), "· REFUSED —", "the title says the run was refused, though no policy failed")
				assert.Contains(t, md.String(), "## ❌ Headroom reconcile: `staging` — REFUSED")
				assert.Equal(t, report.VerdictPass, r.Verdict, "the JSON verdict stays the policy verdict")
			} else {
				assert.Contains(t, md.String(), "## ✅ Headroom reconcile: `staging` — RECONCILED")
			}
		})
	}
}
