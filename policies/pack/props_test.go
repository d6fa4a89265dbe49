package pack

import (
	"math"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"

	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestGetPaths pins get's path walk: dotted keys, "name[i]" indexes, and the
// status of each way a path can end (absent, null, computed, redacted
// secret, wrong shape, index out of range).
func TestGetPaths(t *testing.T) {
	m := pt.Map(map[string]any{
		"a": map[string]any{
			"b": "x", "n": nil, "c": pt.Computed, "s": redactedSecret, "secret": pt.Secret("plain"),
		},
		"arr":  []any{map[string]any{"v": 1}, pt.Computed},
		"carr": pt.Computed,
		"str":  "hello",
		"":     []any{"empty-key"},
	})
	cases := []struct {
		path string
		st   status
		want any // the value when st is stOK
	}{
		{"a.b", stOK, "x"},
		{"a.secret", stOK, "plain"},
		{"a.n", stMissing, nil},
		{"a.zz", stMissing, nil},
		{"zz.b", stMissing, nil},
		{"a.c", stUnknown, nil},
		{"a.s", stUnknown, nil},
		{"a.c.d", stUnknown, nil},
		{"a.n.d", stMissing, nil},
		{"str.d", stInvalid, nil},
		{"arr[0].v", stOK, 1.0},
		{"arr[1]", stUnknown, nil},
		{"arr[1].v", stUnknown, nil},
		{"arr[2]", stMissing, nil},
		{"arr[2].v", stMissing, nil},
		{"a[0]", stInvalid, nil},
		{"carr[0]", stUnknown, nil},
		{"zz[0]", stMissing, nil},
		// Not an index: read as a key of that name, which is absent.
		{"arr[-1]", stMissing, nil},
		{"arr[x]", stMissing, nil},
		{"arr[0", stMissing, nil},
		{"arr0]", stMissing, nil},
		// An index with no name indexes the empty key.
		{"[0]", stOK, "empty-key"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			f := get(m, c.path)
			assert.Equal(t, c.st, f.st)
			if c.st != stOK {
				return
			}
			switch w := c.want.(type) {
			case string:
				s, st := f.str()
				assert.Equal(t, stOK, st)
				assert.Equal(t, w, s)
			case float64:
				n, st := f.num()
				assert.Equal(t, stOK, st)
				assert.Equal(t, w, n)
			}
		})
	}
}

// TestKey reads annotation-style keys whole (dots and slashes included).
func TestKey(t *testing.T) {
	m := pt.Map(map[string]any{"run.googleapis.com/ingress": "all", "n": nil})
	s, st := key(m, "run.googleapis.com/ingress").str()
	assert.Equal(t, stOK, st)
	assert.Equal(t, "all", s)
	assert.Equal(t, stMissing, key(m, "run").st)
	assert.Equal(t, stMissing, key(m, "n").st)
}

func ok(v any) field { return field{v: pt.Value(v), st: stOK} }

// TestFieldConversions pins the typed readers: integer's whole-number and
// ±1e9 bounds, numeric and boolean strings, text's shortest decimal form,
// and statuses passed through unchanged.
func TestFieldConversions(t *testing.T) {
	t.Run("integer", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    field
			want int
			st   status
		}{
			{"whole number", ok(42), 42, stOK},
			{"numeric string", ok(" 7 "), 7, stOK},
			{"at the bound", ok(1e9), 1e9, stOK},
			{"at the negative bound", ok(-1e9), -1e9, stOK},
			{"above the bound", ok(1e9 + 1), 0, stInvalid},
			{"below the negative bound", ok(-1e9 - 1), 0, stInvalid},
			{"fraction", ok(2.5), 0, stInvalid},
			{"NaN", field{v: property.New(math.NaN()), st: stOK}, 0, stInvalid},
			{"infinite", field{v: property.New(math.Inf(1)), st: stOK}, 0, stInvalid},
			{"NaN string", ok("NaN"), 0, stInvalid},
			{"infinite string", ok("Inf"), 0, stInvalid},
			{"word", ok("two"), 0, stInvalid},
			{"boolean", ok(true), 0, stInvalid},
			{"unknown", field{st: stUnknown}, 0, stUnknown},
			{"missing", field{st: stMissing}, 0, stMissing},
		} {
			n, st := c.f.integer()
			assert.Equal(t, c.st, st, c.name)
			assert.Equal(t, c.want, n, c.name)
		}
	})
	t.Run("num", func(t *testing.T) {
		for _, v := range []float64{math.NaN(), math.Inf(-1)} {
			_, st := field{v: property.New(v), st: stOK}.num()
			assert.Equal(t, stInvalid, st, "%v", v)
		}
		n, st := ok("-0.5").num()
		assert.Equal(t, stOK, st)
		assert.Equal(t, -0.5, n)
	})
	t.Run("boolean", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    field
			want bool
			st   status
		}{
			{"true", ok(true), true, stOK},
			{"false", ok(false), false, stOK},
			{"string true", ok("true"), true, stOK},
			{"string false", ok("false"), false, stOK},
			{"other string", ok("maybe"), false, stInvalid},
			{"number", ok(1), false, stInvalid},
			{"unknown", field{st: stUnknown}, false, stUnknown},
		} {
			b, st := c.f.boolean()
			assert.Equal(t, c.st, st, c.name)
			assert.Equal(t, c.want, b, c.name)
		}
	})
	t.Run("text", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    field
			want string
			st   status
		}{
			{"string", ok("75"), "75", stOK},
			{"whole number", ok(75), "75", stOK},
			{"decimal number", ok(240.5), "240.5", stOK},
			{"small decimal", ok(0.125), "0.125", stOK},
			{"boolean", ok(true), "", stInvalid},
			{"missing", field{st: stMissing}, "", stMissing},
		} {
			s, st := c.f.text()
			assert.Equal(t, c.st, st, c.name)
			assert.Equal(t, c.want, s, c.name)
		}
	})
	t.Run("shapes", func(t *testing.T) {
		_, st := ok(1).str()
		assert.Equal(t, stInvalid, st, "str of a number")
		_, st = ok("x").obj()
		assert.Equal(t, stInvalid, st, "obj of a string")
		_, st = ok(map[string]any{}).array()
		assert.Equal(t, stInvalid, st, "array of a map")
		_, st = field{st: stUnknown}.obj()
		assert.Equal(t, stUnknown, st)
		_, st = field{st: stUnknown}.array()
		assert.Equal(t, stUnknown, st)
	})
}

// TestPathSegments pins lastSegment and segmentAfter on GCP resource paths,
// including a separator at either end and a key with nothing after it.
func TestPathSegments(t *testing.T) {
	assert.Equal(t, "x", lastSegment("projects/p/locations/r/connectors/x", '/'))
	assert.Equal(t, "inst", lastSegment("proj:region:inst", ':'))
	assert.Equal(t, "x", lastSegment("/x", '/'))
	assert.Equal(t, "", lastSegment("x/", '/'))
	assert.Equal(t, "vpc", lastSegment("vpc", '/'))

	path := "projects/p/locations/r/connectors/x"
	assert.Equal(t, "p", segmentAfter(path, "projects"))
	assert.Equal(t, "r", segmentAfter(path, "locations"))
	assert.Equal(t, "x", segmentAfter(path, "connectors"))
	assert.Equal(t, "", segmentAfter(path, "x"), "the key is the last segment")
	assert.Equal(t, "", segmentAfter(path, "regions"))
	assert.Equal(t, "", segmentAfter("", "projects"))
}

// TestKVList reads {name, value} lists, skipping entries without a string
// name and keeping unknown values as unknown.
func TestKVList(t *testing.T) {
	items := pt.Value([]any{
		map[string]any{"name": "a", "value": "1"},
		"not an object",
		map[string]any{"name": 3, "value": "x"},
		map[string]any{"value": "no name"},
		map[string]any{"name": "b", "value": pt.Computed},
		map[string]any{"name": "c"},
	}).AsArray().AsSlice()
	got := kvList(items)
	assert.Len(t, got, 3)
	s, st := got["a"].str()
	assert.Equal(t, stOK, st)
	assert.Equal(t, "1", s)
	assert.Equal(t, stUnknown, got["b"].st)
	assert.Equal(t, stMissing, got["c"].st)
}
