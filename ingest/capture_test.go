package ingest_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// -capture regenerates testdata/ from the real engine: the repository's
// program previewed, deployed and exported with the pinned Pulumi CLI and
// the stand-in provider, and the verdicts the pack gave under the engine.
//
//	go test ./ingest -run TestCaptureFixtures -capture
var capture = flag.Bool("capture", false, "regenerate testdata/ from the real Pulumi engine")

// verdict is one policy violation as the engine reported it.
type verdict struct {
	Policy   string `json:"policy"`
	Level    string `json:"level"`
	Resource string `json:"resource,omitempty"` // the resource's name; empty for the stack
}

// engineVerdicts are the violations of one engine operation, keyed by the
// fixture they belong to.
type engineVerdicts map[string][]verdict

func TestCaptureFixtures(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to regenerate the fixtures from the real engine")
	}
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	e.Headroom(t)
	root := e.Root
	staging := filepath.Join(root, "stacks", "Pulumi.staging.yaml")
	incident := filepath.Join(root, "tests", "testdata", "incident", "Pulumi.incident.yaml")
	// The pull-request change: netra-backend's ceiling raised from 20 to
	// 60 instances (60 × 15 connections no longer fit the budget).
	b, err := os.ReadFile(staging)
	require.NoError(t, err)
	const from, to = "maxInstances: 20          #", "maxInstances: 60          #"
	require.Contains(t, string(b), from)
	raised := filepath.Join(t.TempDir(), "Pulumi.raised.yaml")
	require.NoError(t, os.WriteFile(raised, []byte(strings.Replace(string(b), from, to, 1)), 0o644))

	verdicts := engineVerdicts{}
	out := "testdata"
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(out, name), []byte(content), 0o644))
	}
	judge := func(sb *enginetest.Sandbox, stack, fixture string, args ...string) {
		cfg := filepath.Join(t.TempDir(), "policy-config.json")
		r := sb.Headroom(t, "policy-config", "--stack", stack, "--root", sb.Dir, "--out", cfg)
		require.Zero(t, r.Code, r.Out)
		pc, err := os.ReadFile(cfg)
		require.NoError(t, err)
		write("policy-config-"+stack+".json", string(pc))
		log := filepath.Join(t.TempDir(), "events.jsonl")
		r = sb.Pulumi(t, append(args, "--stack", stack, "--policy-pack", packBin, "--policy-pack-config", cfg,
			"--event-log", log, "--non-interactive")...)
		ev := enginetest.Events(t, log)
		_, ran := enginetest.Summary(ev, pack.Name)
		require.True(t, ran, "the pack must run:\n%s", r.Out)
		vs := []verdict{}
		for _, e := range ev {
			if p := e.PolicyEvent; p != nil {
				vs = append(vs, verdict{Policy: p.PolicyName, Level: p.EnforcementLevel, Resource: shortURN(p.ResourceURN)})
			}
		}
		verdicts[fixture] = dedupe(vs)
	}
	preview := func(sb *enginetest.Sandbox, stack, fixture string) {
		r := sb.Pulumi(t, "preview", "--stack", stack, "--json", "--non-interactive")
		require.Zero(t, r.Code, r.Out)
		write(fixture, r.Stdout)
		judge(sb, stack, fixture, "preview")
	}

	sb := e.NewSandbox(t, map[string]string{"staging": staging, "incident": incident})
	for _, stack := range []string{"staging", "incident"} {
		preview(sb, stack, "preview-"+stack+"-new.json")
		r := sb.Pulumi(t, "up", "--yes", "--stack", stack, "--non-interactive")
		require.Zero(t, r.Code, r.Out)
		r = sb.Pulumi(t, "stack", "export", "--stack", stack)
		require.Zero(t, r.Code, r.Out)
		write("state-"+stack+".json", r.Stdout)
		judge(sb, stack, "state-"+stack+".json", "policy", "analyze")
	}
	preview(sb, "staging", "preview-staging-same.json")
	// The pull request: the deployed staging stack with the raised file.
	b, err = os.ReadFile(raised)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(sb.Dir, "stacks", "Pulumi.staging.yaml"), b, 0o644))
	preview(sb, "staging", "preview-staging-raised.json")

	js, err := json.MarshalIndent(verdicts, "", "  ")
	require.NoError(t, err)
	write("engine-verdicts.json", string(js)+"\n")
}

func shortURN(u string) string {
	if i := strings.LastIndex(u, "::"); i >= 0 {
		return u[i+2:]
	}
	return u
}

func dedupe(vs []verdict) []verdict {
	seen := map[verdict]bool{}
	out := []verdict{}
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Level < b.Level
	})
	return out
}
