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
