package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoLocalCopiesOfLimits: config validation and the policy pack hold no
// copy of a Google Cloud limit; they call infra/capacity. The names below
// are the copies that used to live there, and the literals are the startup
// probe and connector figures that drifted apart.
func TestNoLocalCopiesOfLimits(t *testing.T) {
	forbidden := regexp.MustCompile(`\b(connectorMinInstances|connectorMaxInstances|connectorPrefixLen|connectorPrefixBits|` +
		`connectorNameMaxLen|connectorDefaultM\w+|pgMinMaxConnections|psaMaxPrefixBits|retainedBackups(Min|Max|Default)|` +
		`logRetention(Min|Max|MaxPlus|Default)|runConcurrency\w+|runCPUMax|probe(WindowMaxSeconds|InitialDelayMax|Period\w+|Timeout\w+|FailureDefault)|` +
		`cloudRunDefaultMaxInstances|minRetainedBackups|cloudSQLMinDiskGB|cloudSQLQualifiedNameMax)\b`)
	literal := regexp.MustCompile(`[^\w.](240|3600)\b`)
	for _, dir := range []string{"../infra/config", "../policies/pack"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			for i, line := range strings.Split(string(data), "\n") {
				code, _, _ := strings.Cut(line, "//")
				assert.False(t, forbidden.MatchString(code), "%s:%d: a local copy of a limit: %s", f, i+1, strings.TrimSpace(line))
				if m := literal.FindString(code); m != "" && !strings.Contains(f, "config.go") {
					t.Errorf("%s:%d: bare limit literal %q; use the infra/capacity constant", f, i+1, strings.TrimSpace(m))
				}
			}
		}
	}
}
