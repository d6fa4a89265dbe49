package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/policies/analyzer"
	"github.com/headroom-dev/headroom/testkit/enginetest"
	"github.com/headroom-dev/headroom/testkit/scalestack"
)

// BenchmarkPreview is the wall time of a real `pulumi preview` per stack,
// without the policy pack and with it (binary and directory form), on a
// new stack and on an existing one; the difference is the pack's share.
//
//	go test ./tests/e2e -run '^$' -bench BenchmarkPreview -benchtime 3x
func BenchmarkPreview(b *testing.B) {
	e := enginetest.Require(b)
	packBin := e.PolicyPack(b)
	e.Headroom(b)
	for _, sc := range stackCases {
		sb := e.NewSandbox(b, map[string]string{sc.name: sc.path(e)})
		cfg := policyConfigB(b, sb, sc.name)
		packs := []struct {
			name string
			args []string
		}{
			{"nopack", nil},
			{"binary", []string{"--policy-pack", packBin, "--policy-pack-config", cfg}},
			{"directory", []string{"--policy-pack", e.PolicyPackDir(), "--policy-pack-config", cfg}},
		}
		run := func(state string) {
			for _, p := range packs {
				b.Run(sc.name+"/"+state+"/"+p.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						r := sb.Pulumi(b, append([]string{"preview", "--stack", sc.name, "--non-interactive"}, p.args...)...)
						if sc.pass && r.Code != 0 {
							b.Fatalf("preview failed:\n%s", r.Out)
						}
					}
				})
			}
		}
		run("new")
		if r := sb.Pulumi(b, "up", "--yes", "--stack", sc.name, "--non-interactive"); r.Code != 0 {
			b.Fatalf("up: %s", r.Out)
		}
		run("existing")
	}
}

func policyConfigB(b *testing.B, sb *enginetest.Sandbox, stack string) string {
	b.Helper()
	path := b.TempDir() + "/policy-config.json"
	if r := sb.Headroom(b, "policy-config", "--stack", stack, "--root", sb.Dir, "--out", path); r.Code != 0 {
		b.Fatalf("policy-config: %s", r.Out)
	}
	return path
}

// BenchmarkPreviewScale is the real engine's `pulumi preview` of the
// generated 100 workloads × 8 regions stack (2,054 resources), without the
// pack and with its binary; the difference is the pack's share (target
// ≤ 1 s, docs/cli.md#scale).
//
//	go test ./tests/e2e -run '^$' -bench BenchmarkPreviewScale -benchtime 1x -timeout 30m
func BenchmarkPreviewScale(b *testing.B) {
	e := enginetest.Require(b)
	packBin := e.PolicyPack(b)
	e.Headroom(b)
	path := filepath.Join(b.TempDir(), "Pulumi.scale.yaml")
	if err := os.WriteFile(path, []byte(scalestack.Stack(100, scalestack.BenchRegions)), 0o644); err != nil {
		b.Fatal(err)
	}
	// The pack's own account of its share (the engine's wall clock under
	// load cannot separate it from its own work); the sandbox takes the
	// environment it is created with.
	timings := filepath.Join(b.TempDir(), "timings.jsonl")
	b.Setenv(analyzer.TimingsEnv, timings)
	sb := e.NewSandbox(b, map[string]string{"scale": path})
	cfg := policyConfigB(b, sb, "scale")
	for _, p := range []struct {
		name string
		args []string
	}{
		{"nopack", nil},
		{"binary", []string{"--policy-pack", packBin, "--policy-pack-config", cfg}},
	} {
		b.Run(p.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if r := sb.Pulumi(b, append([]string{"preview", "--stack", "scale", "--non-interactive"}, p.args...)...); r.Code != 0 {
					b.Fatalf("preview failed:\n%s", r.Out)
				}
			}
			if p.args == nil {
				return
			}
			data, err := os.ReadFile(timings)
			if err != nil {
				b.Fatalf("the pack wrote no timings: %v", err)
			}
			var sum analyzer.Timing
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			for _, l := range lines {
				var t analyzer.Timing
				if err := json.Unmarshal([]byte(l), &t); err != nil {
					b.Fatalf("timings line %q: %v", l, err)
				}
				sum.AnalyzeSeconds += t.AnalyzeSeconds
				sum.AnalyzeStackSeconds += t.AnalyzeStackSeconds
				sum.ProcessCPUSeconds += t.ProcessCPUSeconds
				sum.Resources = t.Resources
			}
			n := float64(len(lines))
			b.ReportMetric(float64(sum.Resources), "resources")
			b.ReportMetric(sum.AnalyzeSeconds/n, "pack-analyze-s")
			b.ReportMetric(sum.AnalyzeStackSeconds/n, "pack-analyzestack-s")
			b.ReportMetric(sum.ProcessCPUSeconds/n, "pack-cpu-s")
		})
	}
}
