package report

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/policies/pack"
)

const incidentFile = "../tests/testdata/incident/Pulumi.incident.yaml"

// A key missing from the file (a default applied) falls back to its block;
// an unknown resource or policy to headroom:environment.
func TestSARIFLocatorFallback(t *testing.T) {
	file, err := config.LoadFile(incidentFile)
	require.NoError(t, err)
	src, err := os.ReadFile(incidentFile)
	require.NoError(t, err)
	// Without maxConnections in the file, connection-budget points at the
	// database block.
	trimmed := strings.Replace(string(src), "    maxConnections: 100             # A4: = tier default\n", "", 1)
	require.NotEqual(t, string(src), trimmed)
	l, err := newLocator(file, []byte(trimmed))
	require.NoError(t, err)
	line, col, key := l.find(pack.PolicyConnectionBudget, "urn:pulumi:incident::headroom::headroom:database:Database$gcp:sql/databaseInstance:DatabaseInstance::staging-shared-postgres", "")
	assert.Equal(t, "headroom:database", key)
	assert.Equal(t, 3, col, "1-based column of the key")
	assert.True(t, strings.HasPrefix(strings.Split(trimmed, "\n")[line-1], "  headroom:database:"))
	// An unknown resource and policy land on headroom:environment.
	_, _, key = l.find("some-new-policy", "urn:pulumi:x::y::t::unknown", "")
	assert.Equal(t, "headroom:environment", key)
}

// A key written without its namespace (Pulumi reads it as the project's)
// is located like the namespaced one.
func TestSARIFLocatorShortKeys(t *testing.T) {
	file, err := config.LoadFile(incidentFile)
	require.NoError(t, err)
	src, err := os.ReadFile(incidentFile)
	require.NoError(t, err)
	short := strings.Replace(string(src), "  headroom:workloads:", "  workloads:", 1)
	require.NotEqual(t, string(src), short)
	l, err := newLocator(file, []byte(short))
	require.NoError(t, err)
	line, _, key := l.find(pack.PolicyCapacityModel, "", "")
	assert.Equal(t, "headroom:workloads", key)
	assert.True(t, strings.HasPrefix(strings.Split(short, "\n")[line-1], "  workloads:"), "line %d", line)
}
