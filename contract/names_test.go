package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestServiceName(t *testing.T) {
	assert.Equal(t, "netra-backend-us-central1", ServiceName("netra-backend", "us-central1"))
	long := strings.Repeat("a", 40)
	n := ServiceName(long, "northamerica-northeast1")
	assert.LessOrEqual(t, len(n), serviceNameMax)
	assert.Equal(t, n, ServiceName(long, "northamerica-northeast1"), "stable")
	assert.NotEqual(t, n, ServiceName(long, "northamerica-northeast2"), "distinct per region")
	assert.False(t, strings.Contains(n, "--"))
	// The boundary: a name of exactly serviceNameMax characters is kept.
	exact := strings.Repeat("b", serviceNameMax-len("-r1")) + "-r1"
	assert.Equal(t, exact, ServiceName(strings.Repeat("b", serviceNameMax-len("-r1")), "r1"))
	assert.Len(t, ServiceName(strings.Repeat("b", serviceNameMax-len("-r1")+1), "r1"), serviceNameMax)
	assert.Equal(t, ServiceName("api-probe", "us-east1"), ProbeJobName("api", "us-east1"))
}
