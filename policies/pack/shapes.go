package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Graphs come from every pulumi-gcp major a team may be on (v7 through
// v10); where the shapes differ the pack reads both
// (docs/policies.md#provider-versions):
//
//   - template.containers[].ports: a list in v7, one object from v8 (the
//     pack reads no port; both shapes pass through).
//   - settings.ipConfiguration.requireSsl: removed in v8 in favour of
//     sslMode (checkSQLSSL reads sslMode, and requireSsl when present).
//   - connector minThroughput/maxThroughput: v7 fills in 200/300 Mbps, v8
//     leaves them unset (connectorInstances applies the API's defaults).
//   - scaling.maxInstanceCount at the service level, from v9: a cap across
//     all revisions, read beside the revision's template.scaling.
const serviceMaxInstancesPath = "scaling.maxInstanceCount"

// egressOverride is the pack config's egress for a service.
func (ex *extraction) egressOverride(r *policyx.AnalyzerResource, name string) (float64, bool) {
	o, ok := ex.cfg.Services[name]
	if !ok && r.Name != "" {
		o, ok = ex.cfg.Services[r.Name]
	}
	if !ok || o.EgressMbpsPerInstance == nil {
		return 0, false
	}
	return *o.EgressMbpsPerInstance, true
}
