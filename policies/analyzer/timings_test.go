package analyzer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/analyzer"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestTimingsFile: with HEADROOM_PACK_TIMINGS set, each AnalyzeStack appends
// one line counting the resources it judged and the Analyze calls since the
// last line; without it nothing is written.
func TestTimingsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timings.jsonl")
	t.Setenv(analyzer.TimingsEnv, path)
	c := start(t)
	ctx := context.Background()
	s := pt.Incident()
	for round := 0; round < 2; round++ {
		for _, r := range s.Resources()[:3] {
			_, err := c.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: marshal(t, r)})
			require.NoError(t, err)
		}
		_, err := c.AnalyzeStack(ctx, stackRequest(t, s))
		require.NoError(t, err)
	}
	read := func() []analyzer.Timing {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		var lines []analyzer.Timing
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var l analyzer.Timing
			require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
			lines = append(lines, l)
		}
		return lines
	}
	lines := read()
	require.Len(t, lines, 2)
	for _, l := range lines {
		assert.Equal(t, len(s.Resources()), l.Resources)
		assert.Equal(t, 3, l.AnalyzeCalls, "the calls since the previous line")
		assert.Positive(t, l.AnalyzeStackSeconds)
		assert.Positive(t, l.AnalyzeSeconds)
		assert.Positive(t, l.ProcessCPUSeconds)
	}
	assert.GreaterOrEqual(t, lines[1].ProcessCPUSeconds, lines[0].ProcessCPUSeconds)

	// Without the variable nothing is written.
	t.Setenv(analyzer.TimingsEnv, "")
	c = start(t)
	_, err := c.AnalyzeStack(ctx, stackRequest(t, s))
	require.NoError(t, err)
	assert.Len(t, read(), 2)
}
