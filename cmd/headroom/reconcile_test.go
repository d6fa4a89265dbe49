package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/deploy"
	"github.com/headroom-dev/headroom/report"
)

// seqFakeStack answers each operation with the next recorded event log of
// its list (deploy/testdata), as the engine would across the
// steps of a reconcile run.
type seqFakeStack struct {
	mu     sync.Mutex
	calls  []string
	logs   map[string][]string // preview, refresh-preview, refresh, up
	after  func(op string)     // called after each operation
	failed error
}

func (f *seqFakeStack) next(op string, chans []chan<- events.EngineEvent) {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	var name string
	if l := f.logs[op]; len(l) > 0 {
		name, f.logs[op] = l[0], l[1:]
	}
	f.mu.Unlock()
	if name == "" {
		f.failed = assert.AnError
		for _, c := range chans {
			close(c)
		}
		return
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "testdata", name))
	if err == nil {
		all, rerr := deploy.ReadEventLog(bytes.NewReader(b))
		err = rerr
		for _, e := range all {
			for _, c := range chans {
				c <- events.EngineEvent{EngineEvent: e}
			}
		}
	}
	if err != nil {
		f.failed = err
	}
	for _, c := range chans {
		close(c)
	}
}

func (f *seqFakeStack) done(op string) {
	if f.after != nil {
		f.after(op)
	}
}

func (f *seqFakeStack) Preview(_ context.Context, opts ...optpreview.Option) (auto.PreviewResult, error) {
	var o optpreview.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.next("preview", o.EventStreams)
	defer f.done("preview")
	if o.Plan != "" {
		return auto.PreviewResult{}, writeRecordedUpdatePlan(o.Plan)
	}
	return auto.PreviewResult{}, nil
}

func (f *seqFakeStack) PreviewRefresh(_ context.Context, opts ...optrefresh.Option) (auto.PreviewResult, error) {
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.next("refresh-preview", o.EventStreams)
	defer f.done("refresh-preview")
	return auto.PreviewResult{}, nil
}

func (f *seqFakeStack) Refresh(_ context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.next("refresh", o.EventStreams)
	defer f.done("refresh")
	return auto.RefreshResult{}, nil
}

func (f *seqFakeStack) Up(_ context.Context, opts ...optup.Option) (auto.UpResult, error) {
	var o optup.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	f.next("up", o.EventStreams)
	defer f.done("up")
	return auto.UpResult{}, nil
}

// runCLIContext is run() with the caller's context (run itself listens
// for SIGINT/SIGTERM).
func runCLIContext(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	if err != nil {
		errOut.WriteString("headroom: " + oneLine(err.Error()) + "\n")
	}
	return out.String(), errOut.String(), exitCode(err)
}

func TestReconcileCommand(t *testing.T) {
	pinned := time.Date(2026, 11, 29, 6, 17, 0, 0, time.UTC)
	prev := reconcileNow
	reconcileNow = func() time.Time { return pinned }
	t.Cleanup(func() { reconcileNow = prev })

	pol := filepath.Join(t.TempDir(), "headroom-policies")
	require.NoError(t, os.WriteFile(pol, []byte("#!/bin/sh\n"), 0o755))
	base := []string{"reconcile", "--stack", "staging", "--policy-pack", pol, "-f", "json"}
	inSync := map[string][]string{"refresh-preview": {"refresh-clean.jsonl"}, "preview": {"preview-nochanges.jsonl"}}
	drifted := func(reapply string) map[string][]string {
		return map[string][]string{
			"refresh-preview": {"refresh-drift.jsonl", "refresh-clean.jsonl"},
			"preview":         {"preview-nochanges.jsonl", reapply, "preview-nochanges.jsonl"},
			"refresh":         {"refresh-drift.jsonl"}, "up": {"update-ok.jsonl"},
		}
	}
	full := []string{"refresh-preview", "preview", "refresh", "preview", "up", "refresh-preview", "preview"}
	tests := []struct {
		name   string
		args   []string
		logs   map[string][]string
		code   int
		calls  []string
		result string
		stderr string
	}{
		{"in sync", []string{"--once"}, inSync, exitOK, []string{"refresh-preview", "preview"}, report.ResultInSync, "in-sync (exit 0)"},
		{"drift reconciled", []string{"--once"}, drifted("preview-clean.jsonl"), exitOK, full, report.ResultReconciled, "reconciled (exit 0)"},
		{"dry run", []string{"--once", "--dry-run"}, drifted("preview-clean.jsonl"), exitDrift, []string{"refresh-preview", "preview"}, report.ResultDrift, "drift left unreconciled"},
		{"connector replacement refused", []string{"--once"}, drifted("preview-replace-connector.jsonl"), exitViolations,
			[]string{"refresh-preview", "preview", "refresh", "preview"}, report.ResultRefused, "--allow-replace"},
		{"connector replacement allowed", []string{"--once", "--allow-replace", "staging-connector"}, drifted("preview-replace-connector.jsonl"), exitOK,
			full, report.ResultReconciled, "reconciled"},
		{"the pack did not run: failure", []string{"--once"}, map[string][]string{"refresh-preview": {"refresh-clean.jsonl"}, "preview": {"preview-nopack.jsonl"}},
			exitInternal, []string{"refresh-preview", "preview"}, report.ResultFailed, "did not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &seqFakeStack{logs: tt.logs}
			prevOpen := openStack
			openStack = func(string) deploy.Opener {
				return func(context.Context, string, string) (deploy.Stack, error) { return f, nil }
			}
			t.Cleanup(func() { openStack = prevOpen })
			rep := filepath.Join(t.TempDir(), "reconcile.json")
			args := append(append(append([]string{}, base...), tt.args...), "--report", rep)
			stdout, stderr, code := runCLIContext(context.Background(), args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assert.Equal(t, tt.calls, f.calls)
			assert.NoError(t, f.failed)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(stderr, "headroom: reconcile staging:"), "one status line: %s", stderr)
			require.NoError(t, report.Validate([]byte(stdout)), "%s", stdout)
			b, err := os.ReadFile(rep)
			require.NoError(t, err, "--report is written whatever the result")
			assert.Equal(t, stdout, string(b), "--report holds the run's JSON report")
			var r report.Report
			require.NoError(t, json.Unmarshal(b, &r))
			assert.Equal(t, tt.result, r.Reconcile.Result)
			assert.Equal(t, tt.code, r.Reconcile.ExitCode)
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(rep), ".reconcile.json.*"))
			assert.Empty(t, left, "no temporary file is left next to --report")
		})
	}
}

func TestReconcileCommandBadInput(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "headroom-policies")
	require.NoError(t, os.WriteFile(pol, []byte("#!/bin/sh\n"), 0o755))
	f := &seqFakeStack{logs: map[string][]string{}}
	prevOpen := openStack
	openStack = func(string) deploy.Opener {
		return func(context.Context, string, string) (deploy.Stack, error) { return f, nil }
	}
	t.Cleanup(func() { openStack = prevOpen })
	base := []string{"reconcile", "--stack", "staging", "--policy-pack", pol}
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{nil, "pass --once"},
		{[]string{"--once", "--interval", "5m"}, "mutually exclusive"},
		{[]string{"--interval", "30s"}, "--interval 30s: must be at least 1m0s"},
		{[]string{"--interval", "5m", "--jitter", "-1s"}, "--jitter -1s"},
		{[]string{"--once", "--jitter", "1m"}, "--jitter applies to --interval"},
		{[]string{"--once", "--report", filepath.Join(t.TempDir(), "missing", "r.json")}, "--report"},
		{[]string{"--once", "--report", t.TempDir()}, "is a directory"},
		{[]string{"--once", "--allow-replace", "two words"}, "--allow-replace"},
		{[]string{"--once", "--allow-replace", ""}, "--allow-replace: empty value"},
		{[]string{"--once", "--format", "xml"}, "--format"},
		{[]string{"--once", "--policy-pack", "/nonexistent/pack"}, "--policy-pack"},
		{[]string{"--once", "--stack", "nosuch"}, "nosuch"},
		{[]string{"--once", "--interval", "soon"}, "invalid argument"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, code := runCLIContext(context.Background(), append(append([]string{}, base...), tt.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.err)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		})
	}
	assert.Empty(t, f.calls, "bad input never reaches the engine")
}

// TestReconcileCommandLoop: the loop runs, waits for the interval, and a
// cancellation during the wait ends it with the last run's code.
func TestReconcileCommandLoop(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "headroom-policies")
	require.NoError(t, os.WriteFile(pol, []byte("#!/bin/sh\n"), 0o755))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &seqFakeStack{logs: map[string][]string{"refresh-preview": {"refresh-clean.jsonl"}, "preview": {"preview-nochanges.jsonl"}}}
	f.after = func(op string) {
		if op == "preview" {
			// The run ends right after its last operation; cancel while
			// the loop waits for the next one.
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	}
	prevOpen := openStack
	openStack = func(string) deploy.Opener {
		return func(context.Context, string, string) (deploy.Stack, error) { return f, nil }
	}
	t.Cleanup(func() { openStack = prevOpen })
	start := time.Now()
	_, stderr, code := runCLIContext(ctx, "reconcile", "--stack", "staging", "--policy-pack", pol, "--interval", "1h", "--jitter", "1m", "-f", "json")
	assert.Equal(t, exitOK, code, stderr)
	assert.Less(t, time.Since(start), time.Minute, "the wait ends with the context")
	assert.Equal(t, []string{"refresh-preview", "preview"}, f.calls, "one run, then the wait")
	assert.Contains(t, stderr, "headroom: reconcile staging: in-sync (exit 0)")
}
