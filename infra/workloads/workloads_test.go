package workloads

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
}

func TestAccountID(t *testing.T) {
	tests := map[string]string{
		"netra-backend":                      "netra-backend-run",
		"a":                                  "a-run0",
		"9lives":                             "w9lives-run",
		"Auth_Service":                       "auth-service-run",
		"a-very-long-workload-name-indeed-x": "a-very-long-workload-name-inde",
	}
	for in, want := range tests {
		got := AccountID(in)
		assert.Equal(t, want, got, in)
		assert.Regexp(t, `^[a-z][-a-z0-9]{4,28}[a-z0-9]$`, got, in)
	}
}
