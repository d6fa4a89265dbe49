package ingest_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/policies/pack"
)

// scaledPreview is the staging preview with its Cloud Run services cloned
// (renamed, same shape) until the preview holds total resources, or, with
// services > 0, exactly that many services.
func scaledPreview(tb testing.TB, total, services int) []byte {
	tb.Helper()
	g := mockGraph(tb, filepath.Join("..", "stacks", "Pulumi.staging.yaml"), "staging")
	var doc struct {
		Steps []map[string]any `json:"steps"`
	}
	require.NoError(tb, json.Unmarshal(previewOf(tb, g), &doc))
	var svc []map[string]any
	var rest []map[string]any
	for _, s := range doc.Steps {
		if strings.Contains(s["urn"].(string), "cloudrunv2/service:Service") {
			svc = append(svc, s)
		} else {
			rest = append(rest, s)
		}
	}
	require.NotEmpty(tb, svc)
	want := services
	if want == 0 {
		want = total - len(rest)
	}
	steps := append([]map[string]any{}, rest...)
	for i := 0; i < want; i++ {
		b, err := json.Marshal(svc[i%len(svc)])
		require.NoError(tb, err)
		s := string(b)
		src := svc[i%len(svc)]["newState"].(map[string]any)["inputs"].(map[string]any)["name"].(string)
		s = strings.ReplaceAll(s, src, fmt.Sprintf("%s-%04d", src, i))
		var m map[string]any
		require.NoError(tb, json.Unmarshal([]byte(s), &m))
		steps = append(steps, m)
	}
	out, err := json.Marshal(map[string]any{"steps": steps})
	require.NoError(tb, err)
	return out
}

func benchParseEvaluate(b *testing.B, data []byte) {
	cfg := pack.DefaultConfig()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := ingest.ParsePreview("bench.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pack.Evaluate(s.Resources, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// Target: ≤ 100 ms per op (docs/performance.md).
func BenchmarkPreview100Resources(b *testing.B) {
	data := scaledPreview(b, 100, 0)
	s, err := ingest.ParsePreview("bench.json", data)
	require.NoError(b, err)
	require.Len(b, s.Resources, 100)
	benchParseEvaluate(b, data)
}

// Target: ≤ 1 s per op.
func BenchmarkPreview1000Services(b *testing.B) {
	data := scaledPreview(b, 0, 1000)
	s, err := ingest.ParsePreview("bench.json", data)
	require.NoError(b, err)
	require.Equal(b, 1000, s.Counts()["gcp:cloudrunv2/service:Service"])
	benchParseEvaluate(b, data)
}
