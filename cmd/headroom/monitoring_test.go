package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/infra/monitoring"
)

// planJSON is the part of `headroom plan --format json` the alert
// thresholds must agree with.
type planJSON struct {
	Targets struct {
		ConnectionUtilization float64 `json:"connectionUtilization"`
	} `json:"targets"`
	Resources struct {
		Egress []struct {
			Kind         string `json:"kind"`
			Name         string `json:"name"`
			MaxInstances int    `json:"maxInstances"`
		} `json:"egress"`
		Services []struct {
			Name         string `json:"name"`
			MaxInstances int    `json:"maxInstances"`
		} `json:"services"`
	} `json:"resources"`
	Capacity struct {
		Databases []struct {
			Database       string `json:"database"`
			MaxConnections int    `json:"maxConnections"`
			Allowed        int    `json:"allowed"`
		} `json:"databases"`
		Regions []struct {
			Kind            string  `json:"kind"`
			Name            string  `json:"name"`
			CapacityMaxMbps float64 `json:"capacityMaxMbps"`
			DirectIPs       *struct {
				UsableIPs int `json:"usableIps"`
			} `json:"directIps"`
		} `json:"regions"`
	} `json:"capacity"`
}

// directStackFile writes the staging stack with Direct VPC egress instead
// of its connector (and a notification channel) to a temporary file.
func directStackFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(config.StackFile("../..", "staging"))
	require.NoError(t, err)
	s := string(b)
	re := regexp.MustCompile(`(?s)        egress: connector\n.*?maxInstances: 10\n`)
	require.True(t, re.MatchString(s), "staging stack layout changed")
	s = re.ReplaceAllString(s, "        egress: direct\n        direct:\n          subnet: 10.20.0.0/26\n")
	s += "  headroom:monitoring:\n    notificationChannels: [projects/netra-staging/notificationChannels/123]\n"
	// Demand beyond one pool per instance: processes, an extra pool and a
	// database consumer must reach the thresholds as they reach the plan.
	s = strings.Replace(s, "      maxInstances: 20          # 20 × 15 connections = 300 at full scale\n",
		"      maxInstances: 20\n      processes: 2\n", 1)
	s = strings.Replace(s, "        connectTimeoutSeconds: 75   # the app's staging timeout, kept\n",
		"        connectTimeoutSeconds: 75\n        extraPools: [{name: asyncpg, poolSize: 2, startupConnections: 1}]\n", 1)
	s = strings.Replace(s, "    replicas: []\n", "    replicas: []\n    consumers: [{name: migrations, connections: 7}]\n", 1)
	require.Contains(t, s, "processes: 2")
	require.Contains(t, s, "extraPools")
	require.Contains(t, s, "migrations")
	p := filepath.Join(t.TempDir(), "Pulumi.direct.yaml")
	require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
	return p
}

// policyThresholds reads every alert policy's condition thresholds from a
// mock run of the program, keyed by logical name.
func policyThresholds(t *testing.T, path, stack string) (map[string][]float64, *graph.Graph) {
	t.Helper()
	f, err := config.LoadFile(path)
	require.NoError(t, err)
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: stack, Config: f.Values}, infra.Program)
	require.NoError(t, err)
	out := map[string][]float64{}
	for _, r := range g.ByType("gcp:monitoring/alertPolicy:AlertPolicy") {
		in := graph.Plain(r.Inputs)
		for _, c := range in["conditions"].([]any) {
			v := c.(map[string]any)["conditionThreshold"].(map[string]any)["thresholdValue"]
			switch n := v.(type) {
			case int:
				out[r.Name] = append(out[r.Name], float64(n))
			case float64:
				out[r.Name] = append(out[r.Name], n)
			default:
				t.Fatalf("%s: thresholdValue %v (%T)", r.Name, v, v)
			}
		}
	}
	return out, g
}

// TestAlertThresholdsEqualPlan: every alert threshold the program declares
// is the number `headroom plan --format json` reports for the same stack.
func TestAlertThresholdsEqualPlan(t *testing.T) {
	cases := []struct {
		name, path string
		subnets    int
	}{
		{"staging", config.StackFile("../..", "staging"), 0},
		{"production", config.StackFile("../..", "production"), 0},
		{"incident", incidentFile, 0},
		{"direct", directStackFile(t), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, _ := runCLI(t, "plan", "--format", "json", "--config-file", tc.path)
			var p planJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &p), stderr)
			u := p.Targets.ConnectionUtilization
			require.Greater(t, u, 0.0)
			got, g := policyThresholds(t, tc.path, tc.name)
			want := map[string][]float64{}
			for _, d := range p.Capacity.Databases {
				want[monitoring.KindDatabaseConnections+"-"+d.Database] = []float64{float64(d.Allowed)}
			}
			for _, e := range p.Resources.Egress {
				if e.Kind == "connector" {
					want[monitoring.KindConnectorInstances+"-"+e.Name] = []float64{float64(e.MaxInstances - 1)}
				}
			}
			subnets := 0
			for _, r := range p.Capacity.Regions {
				switch r.Kind {
				case "connector":
					bps := r.CapacityMaxMbps * u * 1e6 / 8
					want[monitoring.KindConnectorThroughput+"-"+r.Name] = []float64{bps, bps}
				case "direct":
					require.NotNil(t, r.DirectIPs)
					subnets++
					capInst := (r.DirectIPs.UsableIPs - 16) / 2
					want[monitoring.KindSubnetIPs+"-"+r.Name] = []float64{math.Floor(float64(capInst)*u + 1e-9)}
				}
			}
			assert.Equal(t, tc.subnets, subnets)
			for _, s := range p.Resources.Services {
				want[monitoring.KindServiceInstances+"-"+s.Name] = []float64{math.Floor(float64(s.MaxInstances)*u + 1e-9)}
			}
			require.Len(t, got, len(want))
			for name, w := range want {
				require.Contains(t, got, name)
				assert.InDeltaSlice(t, w, got[name], 1e-6, name)
			}

			// The dashboard draws the same thresholds.
			dash := g.ByType("gcp:monitoring/dashboard:Dashboard")
			require.Len(t, dash, 1)
			var d struct {
				MosaicLayout struct {
					Tiles []struct {
						Widget struct {
							XYChart struct {
								DataSets   []json.RawMessage `json:"dataSets"`
								Thresholds []struct {
									Label string  `json:"label"`
									Value float64 `json:"value"`
								} `json:"thresholds"`
							} `json:"xyChart"`
						} `json:"widget"`
					} `json:"tiles"`
				} `json:"mosaicLayout"`
			}
			require.NoError(t, json.Unmarshal([]byte(graph.Plain(dash[0].Inputs)["dashboardJson"].(string)), &d))
			require.Len(t, d.MosaicLayout.Tiles, len(want), "one chart per alert policy")
			drawn := map[float64]bool{}
			for _, tile := range d.MosaicLayout.Tiles {
				require.NotEmpty(t, tile.Widget.XYChart.DataSets)
				require.NotEmpty(t, tile.Widget.XYChart.Thresholds)
				for _, th := range tile.Widget.XYChart.Thresholds {
					if strings.HasPrefix(th.Label, "alert: ") {
						drawn[th.Value] = true
					}
				}
			}
			for name, w := range want {
				assert.True(t, drawn[w[0]], "%s: threshold %g drawn on the dashboard", name, w[0])
			}
		})
	}
}

// TestMonitoringOptOut: headroom:monitoring.enabled false declares nothing
// of the component.
func TestMonitoringOptOut(t *testing.T) {
	f, err := config.LoadFile(config.StackFile("../..", "staging"))
	require.NoError(t, err)
	values := map[string]string{}
	for k, v := range f.Values {
		values[k] = v
	}
	values["headroom:monitoring"] = `{"enabled": false}`
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: values}, infra.Program)
	require.NoError(t, err)
	assert.Empty(t, g.ByType("gcp:monitoring/alertPolicy:AlertPolicy"))
	assert.Empty(t, g.ByType("gcp:monitoring/dashboard:Dashboard"))
	assert.Empty(t, g.ByType(monitoring.Type))

	values["headroom:monitoring"] = `{"notificationChannels": ["projects/netra-staging/notificationChannels/42"]}`
	g, err = graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: values}, infra.Program)
	require.NoError(t, err)
	pols := g.ByType("gcp:monitoring/alertPolicy:AlertPolicy")
	require.NotEmpty(t, pols)
	for _, p := range pols {
		assert.Equal(t, []any{"projects/netra-staging/notificationChannels/42"}, graph.Plain(p.Inputs)["notificationChannels"], p.Name)
	}

	values["headroom:monitoring"] = `{"notificationChannels": ["email:ops@example.com"]}`
	_, err = graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: values}, infra.Program)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "headroom:monitoring.notificationChannels[0]")
}

// TestAlertThresholdBoundaries: the "near" threshold at the boundaries of
// the utilization target.
func TestAlertThresholdBoundaries(t *testing.T) {
	for _, tc := range []struct {
		limit int
		u     float64
		want  int
	}{
		{10, 0.8, 8}, {10, 1, 10}, {20, 0.8, 16}, {15, 0.8, 12}, {1, 0.8, 0}, {5, 0.7, 3}, {100, 0.85, 85},
	} {
		assert.Equal(t, tc.want, capacity.NearLimit(tc.limit, tc.u), "%d × %g", tc.limit, tc.u)
	}
}
