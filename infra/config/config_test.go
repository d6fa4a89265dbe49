package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/capacity"
)

const repoRoot = "../.."

// stackFiles are every stack file in the repository plus the incident
// fixture, by stack name.
var stackFiles = map[string]string{
	"staging":    StackFile(repoRoot, "staging"),
	"production": StackFile(repoRoot, "production"),
	"incident":   filepath.Join(repoRoot, "tests", "testdata", "incident", "Pulumi.incident.yaml"),
	"direct":     filepath.Join("testdata", "Pulumi.direct.yaml"),
}

func load(t *testing.T, stack string) *File {
	t.Helper()
	f, err := LoadFile(stackFiles[stack])
	require.NoError(t, err)
	return f
}

func TestStackFile(t *testing.T) {
	assert.Equal(t, filepath.Join("r", "stacks", "Pulumi.staging.yaml"), StackFile("r", "staging"))
	assert.Equal(t, "staging", StackName("/x/stacks/Pulumi.staging.yaml"))
	assert.Equal(t, "incident", StackName("Pulumi.incident.yml"))
	assert.Equal(t, "custom", StackName(filepath.Join("some", "dir", "custom.yaml")))
}

// TestStackFiles checks the sizing numbers written in each stack file's comments, and
// the defaults Decode applies to keys the files leave out.
func TestStackFiles(t *testing.T) {
	t.Run("staging", func(t *testing.T) {
		s := load(t, "staging").Stack
		assert.Equal(t, "staging", s.Name)
		assert.Equal(t, "netra-staging", s.Project)
		assert.Equal(t, "staging", s.Environment)
		assert.Equal(t, []string{"us-central1"}, s.SortedRegions())
		r := s.Network.Regions["us-central1"]
		require.NotNil(t, r.Connector)
		assert.Nil(t, r.Direct)
		assert.Equal(t, Connector{Name: "staging-connector", IPCIDRRange: "10.8.0.0/28", MachineType: "e2-standard-4", MinInstances: 3, MaxInstances: 10}, *r.Connector)
		db := s.Database
		assert.Equal(t, "db-custom-4-16384", db.Tier)
		assert.Equal(t, 1000, db.MaxConnections, "raised so that every rollout fits")
		for _, w := range s.Workloads {
			assert.Equal(t, "latest", w.Deploy.Style, "default deploy style")
		}
		assert.Equal(t, "ZONAL", db.Availability)
		assert.Empty(t, db.Replicas)
		require.NotNil(t, db.DeletionProtection, "default applied")
		assert.True(t, *db.DeletionProtection)
		assert.Equal(t, Backups{Enabled: true, PointInTimeRecovery: true, RetainedBackups: 7, LogRetentionDays: 7}, db.Backups)
		assert.Equal(t, MaintenanceWindow{Day: 7, Hour: 3}, db.MaintenanceWindow)
		require.Len(t, s.Workloads, 2)
		demand := 0
		for _, w := range s.Workloads {
			assert.Equal(t, []string{"us-central1"}, w.Regions)
			assert.Equal(t, PrimaryTarget, w.DB.Target)
			assert.Equal(t, "netra", w.DB.Database, "set in the stack file")
			assert.Equal(t, 75.0, w.DB.ConnectTimeoutSeconds)
			assert.Equal(t, StartupProbe{PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 24, Path: "/healthz/db"}, w.StartupProbe)
			demand += w.MaxInstances * (w.DB.PoolSize + w.DB.MaxOverflow) * len(w.Regions)
		}
		assert.Equal(t, 370, demand, "stack comment: 300 + 70")
		assert.Equal(t, Targets{0.90, 30, 0.80}, s.Targets)
	})
	t.Run("production", func(t *testing.T) {
		s := load(t, "production").Stack
		assert.Equal(t, "netra-production", s.Project)
		assert.Equal(t, "production", s.Environment)
		assert.Equal(t, []string{"us-central1", "us-east1"}, s.SortedRegions())
		assert.Equal(t, "10.8.0.16/28", s.Network.Regions["us-east1"].Connector.IPCIDRRange)
		assert.Equal(t, "prod-connector-use1", s.Network.Regions["us-east1"].Connector.Name)
		db := s.Database
		assert.Equal(t, "REGIONAL", db.Availability)
		assert.Equal(t, 1200, db.MaxConnections, "raised so that every rollout fits")
		assert.Equal(t, 14, db.Backups.RetainedBackups)
		require.Len(t, db.Replicas, 1)
		assert.Equal(t, Replica{Name: "prod-postgres-use1", Region: "us-east1", Tier: "db-custom-8-32768", MaxConnections: 1200, Availability: "ZONAL"}, db.Replicas[0])
		demand := 0
		for _, w := range s.Workloads {
			assert.Equal(t, []string{"us-central1", "us-east1"}, w.Regions)
			assert.Equal(t, 45.0, w.DB.ConnectTimeoutSeconds)
			demand += w.MaxInstances * (w.DB.PoolSize + w.DB.MaxOverflow) * len(w.Regions)
		}
		assert.Equal(t, 440, demand, "stack comment: 360 + 80")
		assert.Equal(t, 0.999, s.Targets.StartupSuccessRate)
	})
	t.Run("direct", func(t *testing.T) {
		s := load(t, "direct").Stack
		assert.Equal(t, []string{"europe-west1", "us-central1"}, s.SortedRegions())
		usc := s.Network.Regions["us-central1"]
		assert.Nil(t, usc.Connector)
		assert.Equal(t, &Direct{Subnet: "10.30.0.0/24"}, usc.Direct)
		assert.Equal(t, &Connector{Name: "sandbox-euw1", IPCIDRRange: "10.8.0.0/28", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 10},
			s.Network.Regions["europe-west1"].Connector)
		db := s.Database
		assert.Equal(t, "ENTERPRISE_PLUS", db.Edition)
		assert.Equal(t, 14, db.Backups.LogRetentionDays, "Enterprise Plus allows up to 35")
		require.NotNil(t, db.DeletionProtection)
		assert.False(t, *db.DeletionProtection)
		assert.Equal(t, MaintenanceWindow{Day: 1, Hour: 0}, db.MaintenanceWindow, "hour 0 is kept, not defaulted")
		assert.Equal(t, Replica{Name: "sandbox-postgres-euw1", Region: "europe-west1", Tier: "db-perf-optimized-N-2", MaxConnections: 400, Availability: "ZONAL"}, db.Replicas[0])
		api, rep := s.Workloads[0], s.Workloads[1]
		assert.True(t, api.IgnoreImageChanges)
		assert.Equal(t, "2", api.CPU)
		assert.Equal(t, "app", api.DB.Database)
		assert.Equal(t, "/healthz", api.StartupProbe.Path)
		assert.Equal(t, "sandbox-postgres-euw1", s.TargetInstance(rep))
		assert.Equal(t, 80, rep.Concurrency)
		assert.Equal(t, 1, rep.DB.StartupConnections)
		assert.Equal(t, Targets{StartupSuccessRate: 0.95}, s.Targets)
		assert.Equal(t, int64(42), s.Assumptions.Seed)
		assert.Equal(t, 0.05, s.CapacityAssumptions().HandshakeSeconds)
	})
	t.Run("incident", func(t *testing.T) {
		s := load(t, "incident").Stack
		assert.Equal(t, "incident", s.Name)
		c := s.Network.Regions["us-central1"].Connector
		assert.Equal(t, "e2-micro", c.MachineType)
		assert.Equal(t, 2, c.MinInstances)
		assert.Equal(t, "db-custom-1-3840", s.Database.Tier)
		assert.Equal(t, 100, s.Database.MaxConnections)
		assert.Equal(t, 0, s.Workloads[0].MinInstances)
		assert.Equal(t, 50.0, s.Workloads[0].EgressMbpsPerInstance)
		assert.Equal(t, 5, s.Workloads[0].DB.StartupConnections)
		assert.Equal(t, 30.0, s.Assumptions.ConnectorScaleOutSeconds)
		// Under-provisioned by construction: 130 startup connections
		// against 95 usable slots (staging stack comments).
		startup := 0
		for _, w := range s.Workloads {
			startup += w.MaxInstances * w.DB.StartupConnections
		}
		assert.Equal(t, 130, startup)
	})
}

// TestRoundTrip: Values is the inverse of Decode on every stack file of
// the repository (the whole Stack compared), and a stack written back to a
// stack file loads to the same Stack.
func TestRoundTrip(t *testing.T) {
	files := repoStackFiles(t)
	require.Greater(t, len(files), len(stackFiles))
	for p, f := range files {
		name := f.Stack.Name
		t.Run(filepath.ToSlash(p), func(t *testing.T) {
			vals := requireRoundTrip(t, f.Stack)

			// Through YAML: write a stack file with nested maps.
			cfg := map[string]any{}
			for k, v := range vals {
				if g, err := parseJSON(v); err == nil && k != ProjectKey && k != Namespace+":environment" {
					cfg[k] = jsonToYAML(g)
				} else {
					cfg[k] = v
				}
			}
			b, err := yaml.Marshal(map[string]any{"config": cfg})
			require.NoError(t, err)
			p := filepath.Join(t.TempDir(), "Pulumi."+name+".yaml")
			require.NoError(t, os.WriteFile(p, b, 0o600))
			g, err := LoadFile(p)
			require.NoError(t, err)
			assert.Equal(t, f.Stack, g.Stack)
		})
	}
}

// jsonToYAML turns json.Number into float/int so yaml.Marshal writes
// plain numbers.
func jsonToYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonToYAML(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonToYAML(e)
		}
	case interface{ Int64() (int64, error) }:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := v.(interface{ Float64() (float64, error) }).Float64()
		return f
	}
	return v
}

// TestEngineFormMatchesPulumi: the engine form is produced here by Pulumi's
// own stack-file loader (workspace.LoadProjectStack + config.Map.Decrypt,
// what the CLI puts in PULUMI_CONFIG), not by our converter. Decode of it
// must equal LoadFile, and our converter must produce the same JSON.
func TestEngineFormMatchesPulumi(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for name, path := range stackFiles {
		t.Run(name, func(t *testing.T) {
			ps, err := workspace.LoadProjectStack(sink, proj, path)
			require.NoError(t, err)
			dec, err := ps.Config.Decrypt(pconfig.NopDecrypter)
			require.NoError(t, err)
			engine := map[string]string{}
			for k, v := range dec {
				engine[k.String()] = v
			}
			fromEngine, err := Decode(name, engine)
			require.NoError(t, err)
			f := load(t, name)
			assert.Equal(t, f.Stack, fromEngine)

			require.ElementsMatch(t, keys(engine), keys(f.Values))
			for k, v := range engine {
				if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
					assert.JSONEq(t, v, f.Values[k], k)
				} else {
					assert.Equal(t, v, f.Values[k], k)
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCapacityConversions(t *testing.T) {
	s := load(t, "incident").Stack
	assert.Equal(t, capacity.Targets{StartupSuccessRate: 0.90, ConnectP99Seconds: 30, ConnectionUtilization: 0.80}, s.CapacityTargets())
	a := s.CapacityAssumptions()
	assert.Equal(t, 30.0, a.ConnectorScaleOutSeconds)
	assert.Zero(t, a.ReservedConnections, "unset = model default")

	s.Assumptions = Assumptions{ConnectorScaleOutSeconds: 1, DirectEgressStartupSeconds: 2, AcceptRatePerSecond: 3,
		HandshakeSeconds: 4, RetryInitialSeconds: 5, RetryMaxSeconds: 6, RetryMultiplier: 7, ReservedConnections: 8,
		AdminSlackConnections: 9, RampSeconds: 10, Seed: 11}
	assert.Equal(t, capacity.Assumptions{ConnectorScaleOutSeconds: 1, DirectEgressStartupSeconds: 2, AcceptRatePerSecond: 3,
		HandshakeSeconds: 4, RetryInitialSeconds: 5, RetryMaxSeconds: 6, RetryMultiplier: 7, ReservedConnections: 8,
		AdminSlackConnections: 9, RampSeconds: 10, Seed: 11}, s.CapacityAssumptions())

	p := load(t, "production").Stack
	assert.Equal(t, "prod-postgres", p.TargetInstance(p.Workloads[0]))
	w := p.Workloads[0]
	w.DB.Target = "prod-postgres-use1"
	assert.Equal(t, "prod-postgres-use1", p.TargetInstance(w))
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	staging, err := os.ReadFile(stackFiles["staging"])
	require.NoError(t, err)
	cases := []struct {
		name, path, want string
		cfgKey           string // expected *Error key, if a config error
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), "no such file", ""},
		{"yaml syntax", write("Pulumi.bad.yaml", "config:\n  a: [1, 2\n"), "yaml", ""},
		{"not a mapping", write("Pulumi.list.yaml", "- 1\n- 2\n"), "must be a YAML mapping", ""},
		{"config not a mapping", write("Pulumi.cl.yaml", "config: [1]\n"), "config: must be a mapping", ""},
		{"empty file", write("Pulumi.empty.yaml", ""), "gcp:project: required key is missing", ProjectKey},
		{"secure headroom value", write("Pulumi.sec.yaml", "config:\n  gcp:project: p-123456\n  headroom:environment:\n    secure: v1:abc\n"), "encrypted", "headroom:environment"},
		{"secure nested", write("Pulumi.sec2.yaml", "config:\n  gcp:project: p-123456\n  headroom:network:\n    name:\n      secure: v1:abc\n"), "encrypted", "headroom:network.name"},
		{"duplicate key", write("Pulumi.dup.yaml", "config:\n  headroom:database:\n    name: a\n    name: b\n"), "duplicate key", "headroom:database.name"},
		{"duplicate top key", write("Pulumi.dup2.yaml", "config:\n  headroom:environment: staging\n  environment: staging\n"), "duplicate key", "headroom:environment"},
		{"infinite number", write("Pulumi.inf.yaml", "config:\n  headroom:targets:\n    connectP99Seconds: .inf\n"), "finite", "headroom:targets.connectP99Seconds"},
		{"recursive alias", write("Pulumi.alias.yaml", "config:\n  headroom:workloads: &x [1, *x]\n"), "recursive YAML alias", "headroom:workloads[1][1]"},
		{"alias bomb", write("Pulumi.bomb.yaml", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nconfig:\n  headroom:workloads: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"), "too large", "headroom:workloads[0][8][1][8][1][3]"},
		{"short key is headroom", write("Pulumi.short.yaml", strings.Replace(string(staging), "headroom:environment: staging", "environment: prod", 1)), "one of staging, production", "headroom:environment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFile(c.path)
			require.Error(t, err)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, c.path, fe.Path)
			msg := err.Error()
			prefix := c.path + ": "
			if fe.Line > 0 {
				prefix = fmt.Sprintf("%s:%d:%d: ", c.path, fe.Line, fe.Column)
			}
			assert.True(t, strings.HasPrefix(msg, prefix), msg)
			// A config error is located in the file, unless it has no
			// config: at all.
			assert.Equal(t, c.cfgKey != "" && c.name != "empty file", fe.Line > 0, msg)
			assert.NotContains(t, msg, "\n")
			assert.Contains(t, msg, c.want)
			if c.cfgKey != "" {
				var ce *Error
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, c.cfgKey, ce.Key)
			}
		})
	}
	// Another provider's secret is skipped, not an error.
	p := write("Pulumi.other.yaml", string(staging)+"  gcp:credentials:\n    secure: v1:xyz\n")
	f, err := LoadFile(p)
	require.NoError(t, err)
	assert.NotContains(t, f.Values, "gcp:credentials")
	assert.Equal(t, "other", f.Stack.Name)
}
