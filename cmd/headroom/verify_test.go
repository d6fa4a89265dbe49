package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/verify"
)

// Staging's two services, and the health path both declare as their
// startup probe (headroom:workloads[].startupProbe.path).
const (
	svcBackend    = "netra-backend-us-central1"
	svcAuth       = "auth-service-us-central1"
	stagingHealth = "/healthz/db"
)

// healthServer answers path with 200 once readyAfter has passed since
// it started (never when readyAfter < 0), and with failStatus before;
// other paths get 404. It counts requests.
func healthServer(t *testing.T, path string, readyAfter time.Duration, failStatus int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	start := time.Now()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if readyAfter >= 0 && time.Since(start) >= readyAfter {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(failStatus)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func stubOutputs(t *testing.T, outs map[string]any, err error) *int {
	t.Helper()
	calls := 0
	prev := stackOutputs
	stackOutputs = func(context.Context, string, string, string) (map[string]any, error) {
		calls++
		return outs, err
	}
	t.Cleanup(func() { stackOutputs = prev })
	return &calls
}

func verifyReport(t *testing.T, stdout string) verify.Report {
	t.Helper()
	var r verify.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	return r
}

func result(r verify.Report, svc string) verify.Result {
	for _, x := range r.Results {
		if x.Service == svc {
			return x
		}
	}
	return verify.Result{}
}

func TestVerify(t *testing.T) {
	ready, _ := healthServer(t, stagingHealth, 0, 0)
	slow, slowN := healthServer(t, stagingHealth, 600*time.Millisecond, http.StatusServiceUnavailable)
	never, neverN := healthServer(t, stagingHealth, -1, http.StatusServiceUnavailable)
	fails, _ := healthServer(t, stagingHealth, -1, http.StatusInternalServerError)
	healthz, _ := healthServer(t, "/healthz", 0, 0)
	redirect := httptest.NewServer(http.RedirectHandler("https://accounts.example/login", http.StatusFound))
	t.Cleanup(redirect.Close)
	calls := stubOutputs(t, nil, errors.New("must not be called"))

	base := []string{"verify", "--stack", "staging", "--format", "json", "--interval", "50ms", "--window", "2s"}
	tests := []struct {
		name    string
		args    []string
		code    int
		ok      map[string]bool
		status  map[string]int
		minWait map[string]float64
	}{
		{"both ready", []string{"--url", svcBackend + "=" + ready.URL, "--url", svcAuth + "=" + ready.URL}, exitOK,
			map[string]bool{svcBackend: true, svcAuth: true}, map[string]int{svcBackend: 200}, nil},
		{"slow to become ready", []string{"--url", svcBackend + "=" + slow.URL, "--url", svcAuth + "=" + ready.URL}, exitOK,
			map[string]bool{svcBackend: true, svcAuth: true}, map[string]int{svcBackend: 200}, map[string]float64{svcBackend: 0.5}},
		{"never ready", []string{"--url", svcBackend + "=" + never.URL, "--url", svcAuth + "=" + ready.URL}, exitViolations,
			map[string]bool{svcBackend: false, svcAuth: true}, map[string]int{svcBackend: 503}, nil},
		{"500s", []string{"--url", svcBackend + "=" + ready.URL, "--url", svcAuth + "=" + fails.URL}, exitViolations,
			map[string]bool{svcBackend: true, svcAuth: false}, map[string]int{svcAuth: 500}, nil},
		{"a redirect is not health", []string{"--url", svcBackend + "=" + redirect.URL, "--url", svcAuth + "=" + ready.URL}, exitViolations,
			map[string]bool{svcBackend: false}, map[string]int{svcBackend: 302}, nil},
		{"the health path for every service", []string{"--path", "/healthz", "--url", svcBackend + "=" + healthz.URL, "--url", svcAuth + "=" + healthz.URL}, exitOK,
			map[string]bool{svcBackend: true, svcAuth: true}, nil, nil},
		{"the health path per service", []string{"--path", svcAuth + "=/healthz", "--url", svcBackend + "=" + healthz.URL, "--url", svcAuth + "=" + healthz.URL}, exitViolations,
			map[string]bool{svcBackend: false, svcAuth: true}, map[string]int{svcBackend: 404}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append(append([]string{}, base...), tt.args...)...)
			require.Equal(t, tt.code, code, "stderr: %s", stderr)
			r := verifyReport(t, stdout)
			assert.Equal(t, "verify", r.Kind)
			assert.Len(t, r.Results, 2)
			for svc, ok := range tt.ok {
				assert.Equal(t, ok, result(r, svc).OK, svc)
			}
			for svc, st := range tt.status {
				assert.Equal(t, st, result(r, svc).LastStatus, svc)
			}
			for svc, min := range tt.minWait {
				res := result(r, svc)
				assert.GreaterOrEqual(t, res.ReadySeconds, min, svc)
				assert.Greater(t, res.Attempts, 1, svc)
			}
			if tt.code == exitViolations {
				assert.Equal(t, "fail", r.Verdict)
				assert.Contains(t, stderr, "did not answer HTTP 200 within their window")
				for svc, ok := range tt.ok {
					if !ok {
						assert.Contains(t, stderr, svc)
						assert.InDelta(t, 2.0, result(r, svc).WindowSeconds, 1e-9)
					}
				}
			} else {
				assert.Equal(t, "pass", r.Verdict)
			}
		})
	}
	assert.Greater(t, slowN.Load(), int64(2), "the slow server was polled until ready")
	assert.Greater(t, neverN.Load(), int64(10), "the never-ready server was polled through the window")
	assert.Zero(t, *calls, "--url for every service needs no stack outputs")
}

func TestVerifyReadsStackOutputs(t *testing.T) {
	ready, _ := healthServer(t, stagingHealth, 0, 0)
	calls := stubOutputs(t, map[string]any{"serviceUrls": map[string]any{svcBackend: ready.URL, svcAuth: ready.URL}}, nil)
	stdout, stderr, code := runCLI(t, "verify", "--stack", "staging", "--interval", "50ms", "--window", "1s")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, *calls)
	assert.Contains(t, stdout, "PASS — 2/2 services answered HTTP 200")
	assert.Contains(t, stdout, ready.URL+stagingHealth)

	// A service missing from the outputs fails the check.
	stubOutputs(t, map[string]any{"serviceUrls": map[string]any{svcAuth: ready.URL}}, nil)
	stdout, _, code = runCLI(t, "verify", "--stack", "staging", "--interval", "50ms", "--window", "1s", "-f", "json")
	require.Equal(t, exitViolations, code)
	assert.Contains(t, result(verifyReport(t, stdout), svcBackend).LastError, "no URL in stack output serviceUrls")

	// Outputs that cannot be read are an environment failure.
	stubOutputs(t, nil, errors.New("no stack named 'staging' found"))
	_, stderr, code = runCLI(t, "verify", "--stack", "staging")
	assert.Equal(t, exitInternal, code)
	assert.Contains(t, stderr, "reading outputs")
}

// The default window is the service's startup probe window and the default
// path its startup probe's (both read here from the stack file).
func TestVerifyDefaultsFromStack(t *testing.T) {
	f, err := config.LoadFile(config.StackFile("../..", "staging"))
	require.NoError(t, err)
	ready, _ := healthServer(t, stagingHealth, 0, 0)
	stubOutputs(t, map[string]any{"serviceUrls": map[string]any{svcBackend: ready.URL, svcAuth: ready.URL}}, nil)
	stdout, stderr, code := runCLI(t, "verify", "--stack", "staging", "-f", "json")
	require.Equal(t, exitOK, code, stderr)
	r := verifyReport(t, stdout)
	require.Len(t, r.Results, len(f.Stack.Workloads))
	for _, w := range f.Stack.Workloads {
		res := result(r, w.Name+"-us-central1")
		p := w.StartupProbe
		want := float64(p.InitialDelaySeconds + p.PeriodSeconds*p.FailureThreshold)
		assert.InDelta(t, want, res.WindowSeconds, 1e-9, w.Name)
		assert.Equal(t, w.StartupProbe.Path, res.Path, w.Name)
		assert.Equal(t, stagingHealth, res.Path)
	}
}

func TestVerifyBadInput(t *testing.T) {
	stubOutputs(t, nil, errors.New("must not be called"))
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"verify"}, "--stack NAME is required"},
		{[]string{"verify", "--stack", "nosuch"}, "--stack nosuch"},
		{[]string{"verify", "--stack", "staging", "--url", "nosuch=http://x"}, "has no service nosuch"},
		{[]string{"verify", "--stack", "staging", "--url", svcAuth}, "want SERVICE=VALUE"},
		{[]string{"verify", "--stack", "staging", "--url", svcAuth + "=ftp://x"}, "want an http(s) URL"},
		{[]string{"verify", "--stack", "staging", "--path", svcAuth + "=healthz"}, "must start with /"},
		{[]string{"verify", "--stack", "staging", "--interval", "0s"}, "--interval"},
		{[]string{"verify", "--stack", "staging", "--format", "markdown"}, "text or json"},
	} {
		_, stderr, code := runCLI(t, tt.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tt.args, stderr)
		assert.Contains(t, stderr, tt.msg, tt.args)
	}
}

// up --verify fails the deploy when a service does not answer 200.
func TestUpVerify(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "headroom-policies")
	require.NoError(t, os.WriteFile(pol, []byte("#!/bin/sh\n"), 0o755))
	ready, _ := healthServer(t, stagingHealth, 0, 0)
	never, _ := healthServer(t, stagingHealth, -1, http.StatusServiceUnavailable)
	args := []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json", "--verify", "--verify-window", "500ms", "--verify-interval", "50ms"}
	logs := map[string]string{"preview": "preview-clean.jsonl", "up": "update-ok.jsonl"}

	withFakeStack(t, &cliFakeStack{logs: logs})
	stubOutputs(t, map[string]any{"serviceUrls": map[string]any{svcBackend: ready.URL, svcAuth: ready.URL}}, nil)
	_, stderr, code := runCLI(t, args...)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "PASS — 2/2")

	f := &cliFakeStack{logs: logs}
	withFakeStack(t, f)
	stubOutputs(t, map[string]any{"serviceUrls": map[string]any{svcBackend: never.URL, svcAuth: ready.URL}}, nil)
	_, stderr, code = runCLI(t, args...)
	assert.Equal(t, exitViolations, code, stderr)
	assert.Equal(t, []string{"preview", "up"}, f.calls, "the update ran; the check after it failed")
	assert.Contains(t, stderr, svcBackend)
	assert.Contains(t, stderr, "did not answer HTTP 200")
}
