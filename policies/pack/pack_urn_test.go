package pack

import (
	"testing"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURNHelpers(t *testing.T) {
	u := "urn:pulumi:staging::headroom::headroom:workloads:Workloads$gcp:cloudrunv2/service:Service::api-us-central1"
	assert.Equal(t, "api-us-central1", urnName(u))
	assert.Equal(t, "staging", urnStack(u))
	// A name containing "::" is kept whole by the SDK's parser.
	assert.Equal(t, "a::b", urnName("urn:pulumi:s::p::gcp:sql/databaseInstance:DatabaseInstance::a::b"))
	assert.Equal(t, "not-a-urn", urnName("not-a-urn"))
	assert.Equal(t, "", urnStack("not-a-urn"))
	assert.Equal(t, "(stack)", ShortURN(""))
}

// TestFindingSubjectsByKind: a finding is reported on the resource of the
// kind its check is about, not on the first resource with that name.
func TestFindingSubjectsByKind(t *testing.T) {
	ev := &evaluation{subjects: map[subjectKind]map[string][]string{
		kindInstance: {"shared": {"urn:instance"}},
		kindEgress:   {"shared": {"urn:connector"}, "twin": {"urn:a", "urn:b"}},
		kindService:  {"api": {"urn:service"}},
	}}
	assert.Equal(t, "urn:instance", ev.subjectURN(capacity.CheckConnectionBudget, "shared"))
	assert.Equal(t, "urn:connector", ev.subjectURN(capacity.CheckEgressHeadroom, "shared"))
	assert.Equal(t, "urn:service", ev.subjectURN(capacity.CheckTimeoutBudget, "api"))
	assert.Equal(t, "", ev.subjectURN(capacity.CheckEgressHeadroom, "twin"), "ambiguous: reported on the stack")
	assert.Equal(t, "", ev.subjectURN(capacity.CheckEgressHeadroom, "us-central1"), "a region: the stack")
}

// TestEveryPolicyHasAConfigSchema: Pulumi Cloud validates a policy's config
// against its schema; the shared settings (environment, targets,
// assumptions, services, stagingStacks) are configured once, on
// capacity-model, and every other policy takes only its level.
func TestEveryPolicyHasAConfigSchema(t *testing.T) {
	for _, p := range Policies(Config{}) {
		require.NotNil(t, p.ConfigSchema(), p.Name())
		if p.Name() == PolicyCapacityModel {
			for _, k := range []string{"environment", "stagingStacks", "targets", "assumptions", "services", "externalDemand"} {
				assert.Contains(t, p.ConfigSchema().Properties, k)
			}
		} else {
			assert.Empty(t, p.ConfigSchema().Properties, p.Name())
		}
	}
}
