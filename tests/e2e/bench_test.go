package e2e

import (
	"testing"

	"github.com/headroom-dev/headroom/testkit/enginetest"
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
