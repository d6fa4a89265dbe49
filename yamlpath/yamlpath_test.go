package yamlpath

import (
	"slices"
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
		{[]string{"headroom:workloads", "[0]", "env", "MY.VAR"}, `headroom:workloads[0].env["MY.VAR"]`},
		{[]string{"a", "", "b c", `q"`, "[x]"}, `a[""]["b c"]["q\""]["[x]"]`},
		{[]string{"a", "[007]"}, `a["[007]"]`},
		{[]string{"[3]", "k"}, "[3].k"},
	}
	for _, c := range cases {
		assert.Equal(t, c.s, String(c.segs...))
		assert.Equal(t, c.segs, Split(c.s), c.s)
	}
	// Indexes are built by Item or Path.Index; a bare "0" is a key.
	assert.Equal(t, "headroom:workloads[0].db.poolSize", Path{"headroom:workloads"}.Index(0).Key("db").Key("poolSize").String())
	assert.Equal(t, "a.0", String("a", "0"))
	assert.Equal(t, []string{"a", "0"}, Split("a.0"))
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
	// A bare index is a key, not an item.
	_, _, ok = d.Find("config", "headroom:workloads", "1", "db", "poolSize")
	assert.False(t, ok)
	_, _, ok = d.Find("config", "headroom:workloads", "[2]")
	assert.False(t, ok, "index past the end")
}

// FuzzPath: any path string survives Split → String → Split unchanged, and
// Find never panics on any document and path.
func FuzzPath(f *testing.F) {
	f.Add("headroom:workloads[0].db.poolSize", src)
	f.Add("a[1][2].b", "a: [[1, 2], {b: 3}]\n")
	f.Add("x[", "x: 1\n")
	f.Add(`a["b.c"][0]["\x00"].d`, "a: {b.c: [{\"\\0\": {d: 1}}]}\n")
	f.Add("a/[0]/b.c/[007]//[x", "a: 1\n")
	f.Fuzz(func(t *testing.T, path, doc string) {
		segs := Split(path)
		if again := Split(String(segs...)); !slices.Equal(segs, again) {
			t.Fatalf("%q: Split(String(Split)) = %q, want %q", path, again, segs)
		}
		// Any segments, not only Split's: "/"-separated keys and items.
		keys := strings.Split(path, "/")
		if again := Split(String(keys...)); !slices.Equal(keys, again) {
			t.Fatalf("%q: Split(String(%q)) = %q", path, keys, again)
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

func TestParseStackAndNearest(t *testing.T) {
	d, err := ParseStack([]byte("config:\n  gcp:project: p\n  workloads:\n    - name: a\n      db: {poolSize: 1}\n"), "headroom")
	require.NoError(t, err)
	line, col, ok := d.Find("headroom:workloads", "[0]", "db", "poolSize")
	require.True(t, ok, "a key without namespace is the project's")
	assert.Equal(t, []int{5, 12}, []int{line, col})
	_, _, ok = d.Find("gcp:workloads")
	assert.False(t, ok, "only the project namespace is implicit")
	cases := []struct {
		path        []string
		line, col   int
		found, isOK bool
	}{
		{[]string{"headroom:workloads", "[0]", "db", "poolSize"}, 5, 12, true, true},
		{[]string{"headroom:workloads", "[0]", "db", "maxOverflow"}, 5, 7, false, true},
		{[]string{"headroom:workloads", "[3]", "name"}, 3, 3, false, true},
		{[]string{"headroom:targets"}, 1, 1, false, true},
	}
	for _, c := range cases {
		line, col, found, ok := d.Nearest(c.path...)
		assert.Equal(t, []any{c.line, c.col, c.found, c.isOK}, []any{line, col, found, ok}, "%v", c.path)
	}
	empty, err := ParseStack([]byte("a: 1\n"), "headroom")
	require.NoError(t, err)
	_, _, _, ok = empty.Nearest("headroom:targets")
	assert.False(t, ok, "no config: key, no position")
	e, ok := d.Lookup("headroom:workloads", "[0]")
	require.True(t, ok)
	assert.Nil(t, e.Key)
	assert.Equal(t, 5, LastLine(e.Value))
}
