package capacity

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// remedyPhrases is how each remedy kind reads in a finding's message; the
// first group, when there is one, is the remedy's Value.
var remedyPhrases = map[RemedyKind]*regexp.Regexp{
	RemedyMaxConnections:        regexp.MustCompile(`(?:raise (?:its )?max_connections to ≥ |max_connections ≥ the primary's: set it to ≥ )(\d+)`),
	RemedyLowerMaxInstances:     regexp.MustCompile(`lower \S+ maxInstances to ≤ (\d+)`),
	RemedyConnectorMinInstances: regexp.MustCompile(`raise minInstances to ≥ (\d+)`),
	RemedyConnectorMachineType:  regexp.MustCompile(`switch machineType to \S+ with minInstances ≥ (\d+)`),
	RemedyDirectEgress:          regexp.MustCompile(`use Direct VPC egress`),
	RemedyDirectSubnetPrefix:    regexp.MustCompile(`use a /(\d+) or larger`),
	RemedyHTTPStartupProbe:      regexp.MustCompile(`set startupProbe\.path`),
	RemedyProbeWindow:           regexp.MustCompile(`or lengthen the probe`),
	RemedyRegionalAvailability:  regexp.MustCompile(`not REGIONAL \(HA\)`),
	RemedyCrossRegionReplica:    regexp.MustCompile(`has no cross-region replica`),
}

// TestRemediesSayWhatMessagesSay: on topologies whose findings propose
// every kind of change, each finding carries exactly the remedies its
// message names in prose (same kinds, same numbers), so a tool that reads
// Finding.Remedies sees every fix a user reads. A new remedy phrase
// without its kind fails here (add it to remedyPhrases and RemedyKinds).
func TestRemediesSayWhatMessagesSay(t *testing.T) {
	zonalProd := productionPair()
	zonalProd.Databases[0].Availability = AvailabilityZonal
	zonalProd.Databases = zonalProd.Databases[:1]
	tcp := staticStack()
	tcp.Workloads[0].StartupProbe = Probe{PeriodSeconds: 10, FailureThreshold: 2}
	lowParity := failoverPair()
	lowParity.Databases[1].MaxConnections = 150
	bigConnector := microConnectorStack(10)
	bigConnector.Workloads[0].EgressMbpsPerInstance = 2000
	topos := map[string]Topology{
		"incident": incidentTopology(), "direct /26": directStack(40, 1, "10.0.0.0/26"),
		"zonal production": zonalProd, "tcp probe": tcp, "replica below primary": lowParity,
		"connector saturated": bigConnector, "connector floor": microConnectorStack(10),
	}
	seen := map[RemedyKind]bool{}
	for name, topo := range topos {
		for _, f := range Analyze(topo).Findings {
			var want []RemedyKind
			for _, k := range RemedyKinds {
				re := remedyPhrases[k]
				require.NotNil(t, re, "remedy kind %s has no phrase", k)
				m := re.FindStringSubmatch(f.Message)
				if m == nil {
					continue
				}
				want = append(want, k)
				var got *Remedy
				for i := range f.Remedies {
					if f.Remedies[i].Kind == k {
						got = &f.Remedies[i]
					}
				}
				if !assert.NotNil(t, got, "%s: %q says %s but carries %v", name, f.Message, k, f.Remedies) {
					continue
				}
				seen[k] = true
				assert.NotEmpty(t, got.Target, "%s: %s", name, k)
				if len(m) > 1 {
					n, err := strconv.Atoi(m[1])
					require.NoError(t, err)
					assert.Equal(t, n, got.Value, "%s: %q", name, f.Message)
				}
			}
			var kinds []RemedyKind
			for _, r := range f.Remedies {
				kinds = append(kinds, r.Kind)
			}
			assert.ElementsMatch(t, want, kinds, "%s: %q", name, f.Message)
		}
	}
	for _, k := range RemedyKinds {
		assert.True(t, seen[k], "no topology here emits remedy %s: add one", k)
	}
}
