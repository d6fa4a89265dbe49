package yamlpath

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const src = `# comment
config:
  headroom:database:
    name: db
    maxConnections: 100   # trailing comment
  headroom:workloads:
    - name: a
      maxInstances: 20
    - name: b
      db: {poolSize: 5, connectTimeoutSeconds: 75}
`

func TestFind(t *testing.T) {
	d, err := Parse([]byte(src))
	require.NoError(t, err)
	cases := []struct {
		path      []string
		line, col int
		ok        bool
	}{
		{[]string{"config", "headroom:database", "maxConnections"}, 5, 5, true},
		{[]string{"config", "headroom:workloads", "[0]", "maxInstances"}, 8, 7, true},
		{[]string{"config", "headroom:workloads", "[1]"}, 9, 7, true},
		{[]string{"config", "headroom:workloads", "[1]", "db", "connectTimeoutSeconds"}, 10, 25, true},
		{[]string{"config", "headroom:workloads", "[2]"}, 0, 0, false},
		{[]string{"config", "headroom:database", "tier"}, 0, 0, false},
		{[]string{"config", "headroom:database", "[0]"}, 0, 0, false},
		{[]string{"config", "headroom:database", "name", "x"}, 0, 0, false},
		{nil, 0, 0, false},
	}
	lines := strings.Split(src, "\n")
	for _, c := range cases {
		line, col, ok := d.Find(c.path...)
		assert.Equal(t, c.ok, ok, "%v", c.path)
		assert.Equal(t, c.line, line, "%v", c.path)
		assert.Equal(t, c.col, col, "%v", c.path)
		if ok && !strings.HasPrefix(c.path[len(c.path)-1], "[") {
			assert.True(t, strings.HasPrefix(lines[line-1][col-1:], c.path[len(c.path)-1]+":"), "%v", c.path)
		}
	}
}

// FuzzFind: any document and path give a position inside the text or
// nothing, never a panic.
func FuzzFind(f *testing.F) {
	f.Add([]byte(src), "config/headroom:workloads/[1]/db/poolSize")
	f.Add([]byte("- [a, {b: c}]\n- &x {d: *x}\n"), "[1]/d")
	f.Add([]byte("a: !!binary aGk=\n"), "a")
	f.Fuzz(func(t *testing.T, b []byte, path string) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		line, col, ok := d.Find(strings.Split(path, "/")...)
		if !ok {
			return
		}
		if n := strings.Count(string(b), "\n") + 1; line < 1 || line > n || col < 1 {
			t.Fatalf("position %d:%d outside %d lines", line, col, n)
		}
	})
}

func TestStringAndSplit(t *testing.T) {
	cases := []struct {
		segs []string
		s    string
	}{
		{[]string{"headroom:workloads", "[0]", "db", "poolSize"}, "headroom:workloads[0].db.poolSize"},
		{[]string{"headroom:database", "replicas", "[1]"}, "headroom:database.replicas[1]"},
		{[]string{"headroom:network", "regions", "us-central1", "connector"}, "headroom:network.regions.us-central1.connector"},
		{[]string{"a", "[0]", "[12]", "b"}, "a[0][12].b"},
		{[]string{"headroom:environment"}, "headroom:environment"},
	}
	for _, c := range cases {
		assert.Equal(t, c.s, String(c.segs...))
		assert.Equal(t, c.segs, Split(c.s), c.s)
	}
	// suggest's bare indexes render in the same convention.
	assert.Equal(t, "headroom:workloads[0].db.poolSize", String("headroom:workloads", "0", "db", "poolSize"))
	_, ok := Index("[x]")
	assert.False(t, ok)
	_, ok = Index("us-central1")
	assert.False(t, ok)
}

func TestFindByString(t *testing.T) {
	d, err := Parse([]byte(src))
	require.NoError(t, err)
	line, col, ok := d.Find(Split("config.headroom:workloads[1].db.poolSize")...)
	require.True(t, ok)
	assert.Equal(t, 10, line)
	assert.Equal(t, 12, col)
	// A bare index walks the sequence too.
	line2, _, ok := d.Find("config", "headroom:workloads", "1", "db", "poolSize")
	require.True(t, ok)
	assert.Equal(t, line, line2)
	_, _, ok = d.Find("config", "headroom:workloads", "[2]")
	assert.False(t, ok, "index past the end")
}

// FuzzPath: any path string survives Split → String → Split unchanged, and
// Find never panics on any document and path.
func FuzzPath(f *testing.F) {
	f.Add("headroom:workloads[0].db.poolSize", src)
	f.Add("a[1][2].b", "a: [[1, 2], {b: 3}]\n")
	f.Add("x[", "x: 1\n")
	f.Fuzz(func(t *testing.T, path, doc string) {
		segs := Split(path)
		again := Split(String(segs...))
		if String(segs...) != String(again...) {
			t.Fatalf("%q: String(Split) not stable: %q vs %q", path, String(segs...), String(again...))
		}
		d, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		if line, col, ok := d.Find(segs...); ok && (line < 1 || col < 1) {
			t.Fatalf("%q in %q: position %d:%d", path, doc, line, col)
		}
	})
}
