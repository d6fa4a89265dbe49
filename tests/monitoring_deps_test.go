package tests

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/monitoring"
)

// TestAlertPoliciesWaitForTheirSubjectOnly: each alert policy waits for the
// Monitoring API and, when it watches a service, for that service — never
// for every service of the stack. The dependency on every service from
// every policy grew as services² (800 services, 818 policies: 650,000
// edges) and dominated the plan of an organisation-sized stack.
func TestAlertPoliciesWaitForTheirSubjectOnly(t *testing.T) {
	for _, stack := range []string{"staging", "production"} {
		t.Run(stack, func(t *testing.T) {
			_, g := record(t, filepath.Join("..", "stacks", "Pulumi."+stack+".yaml"))
			services := map[string]string{} // URN → service name
			for _, s := range g.ByType("gcp:cloudrunv2/service:Service") {
				services[s.URN] = in(s, "name").(string)
			}
			require.NotEmpty(t, services)
			api := ""
			for _, r := range g.ByType("gcp:projects/service:Service") {
				if in(r, "service") == monitoring.API {
					api = r.URN
				}
			}
			require.NotEmpty(t, api, "the Monitoring API")
			policies := g.ByType("gcp:monitoring/alertPolicy:AlertPolicy")
			require.NotEmpty(t, policies)
			perService := 0
			for _, p := range policies {
				assert.Contains(t, p.Dependencies, api, p.Name)
				var waits []string
				for _, d := range p.Dependencies {
					if n, ok := services[d]; ok {
						waits = append(waits, n)
					}
				}
				if svc, ok := strings.CutPrefix(p.Name, monitoring.KindServiceInstances+"-"); ok {
					perService++
					assert.Equal(t, []string{svc}, waits, "%s waits for its own service", p.Name)
					continue
				}
				assert.Empty(t, waits, "%s watches no service", p.Name)
			}
			assert.Len(t, services, perService, "one per-service policy per service")
			for _, d := range g.ByType("gcp:monitoring/dashboard:Dashboard") {
				assert.Equal(t, []string{api}, d.Dependencies, "the dashboard waits for the API only")
			}
		})
	}
}
