package pack

import (
	"math"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// status is the outcome of reading one property.
type status int

const (
	// stOK: present and of the expected type.
	stOK status = iota
	// stMissing: absent or null.
	stMissing
	// stUnknown: computed (unknown until apply) or a secret that was
	// redacted (pulumi policy analyze --file without the passphrase).
	stUnknown
	// stInvalid: present but of the wrong type or unparsable.
	stInvalid
)

// redactedSecret is what `pulumi policy analyze --file` substitutes for a
// secret it cannot decrypt, whatever the value's type.
const redactedSecret = "[secret]"

// field is one property value found by path.
type field struct {
	v  property.Value
	st status
}

// get walks a dotted path ("settings.ipConfiguration.ipv4Enabled",
// "template.containers[0].envs") through maps and arrays. It never panics:
// a computed value anywhere on the path yields stUnknown, a null or absent
// one stMissing, and a value of the wrong shape stInvalid. Secrets are
// unwrapped transparently (property.Value carries the plaintext with a
// secret flag); values stay inside the pack.
func get(m property.Map, path string) field {
	cur := property.New(m)
	for _, seg := range strings.Split(path, ".") {
		name, idx, hasIdx := splitIndex(seg)
		f := step(cur, name)
		if f.st != stOK {
			return f
		}
		cur = f.v
		if hasIdx {
			f = index(cur, idx)
			if f.st != stOK {
				return f
			}
			cur = f.v
		}
	}
	return classify(cur)
}

// key reads one key of a map without path splitting (annotation and label
// keys contain dots and slashes).
func key(m property.Map, k string) field {
	v, ok := m.GetOk(k)
	if !ok {
		return field{st: stMissing}
	}
	return classify(v)
}

func splitIndex(seg string) (string, int, bool) {
	open := strings.IndexByte(seg, '[')
	if open < 0 || !strings.HasSuffix(seg, "]") {
		return seg, 0, false
	}
	n, err := strconv.Atoi(seg[open+1 : len(seg)-1])
	if err != nil || n < 0 {
		return seg, 0, false
	}
	return seg[:open], n, true
}

func classify(v property.Value) field {
	switch {
	case v.IsComputed():
		return field{v: v, st: stUnknown}
	case v.IsNull():
		return field{v: v, st: stMissing}
	case v.IsString() && v.AsString() == redactedSecret:
		return field{v: v, st: stUnknown}
	}
	return field{v: v, st: stOK}
}

func step(cur property.Value, key string) field {
	f := classify(cur)
	if f.st != stOK {
		return f
	}
	if !cur.IsMap() {
		return field{st: stInvalid}
	}
	v, ok := cur.AsMap().GetOk(key)
	if !ok {
		return field{st: stMissing}
	}
	return classify(v)
}

func index(cur property.Value, i int) field {
	f := classify(cur)
	if f.st != stOK {
		return f
	}
	if !cur.IsArray() {
		return field{st: stInvalid}
	}
	a := cur.AsArray()
	if i >= a.Len() {
		return field{st: stMissing}
	}
	return classify(a.Get(i))
}

func (f field) str() (string, status) {
	if f.st != stOK {
		return "", f.st
	}
	if !f.v.IsString() {
		return "", stInvalid
	}
	return f.v.AsString(), stOK
}

// num accepts a number or a numeric string (flags and env vars are strings).
func (f field) num() (float64, status) {
	if f.st != stOK {
		return 0, f.st
	}
	switch {
	case f.v.IsNumber():
		n := f.v.AsNumber()
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, stInvalid
		}
		return n, stOK
	case f.v.IsString():
		n, err := strconv.ParseFloat(strings.TrimSpace(f.v.AsString()), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, stInvalid
		}
		return n, stOK
	}
	return 0, stInvalid
}

// integer is num restricted to whole numbers that fit an int32-ish range.
func (f field) integer() (int, status) {
	n, st := f.num()
	if st != stOK {
		return 0, st
	}
	if n != math.Trunc(n) || math.Abs(n) > 1e9 {
		return 0, stInvalid
	}
	return int(n), stOK
}

func (f field) boolean() (bool, status) {
	if f.st != stOK {
		return false, f.st
	}
	switch {
	case f.v.IsBool():
		return f.v.AsBool(), stOK
	case f.v.IsString():
		b, err := strconv.ParseBool(f.v.AsString())
		if err != nil {
			return false, stInvalid
		}
		return b, stOK
	}
	return false, stInvalid
}

func (f field) array() ([]property.Value, status) {
	if f.st != stOK {
		return nil, f.st
	}
	if !f.v.IsArray() {
		return nil, stInvalid
	}
	return f.v.AsArray().AsSlice(), stOK
}

func (f field) obj() (property.Map, status) {
	if f.st != stOK {
		return property.Map{}, f.st
	}
	if !f.v.IsMap() {
		return property.Map{}, stInvalid
	}
	return f.v.AsMap(), stOK
}

// lastSegment returns what follows the last sep ("projects/p/…/connectors/x"
// → "x", "proj:region:inst" → "inst").
func lastSegment(s string, sep byte) string {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[i+1:]
	}
	return s
}

// segmentAfter returns the path segment after key in a GCP resource path
// ("projects/p/locations/r/connectors/x", "locations" → "r").
func segmentAfter(s, key string) string {
	parts := strings.Split(s, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == key {
			return parts[i+1]
		}
	}
	return ""
}

// kvList reads an array of {name, value} objects (database flags, env vars)
// into a map; entries whose value is unknown map to a field with stUnknown.
func kvList(items []property.Value) map[string]field {
	out := map[string]field{}
	for _, it := range items {
		if !it.IsMap() {
			continue
		}
		m := it.AsMap()
		name, st := get(m, "name").str()
		if st != stOK {
			continue
		}
		out[name] = get(m, "value")
	}
	return out
}

// text returns a string value as it is and a number in its shortest
// decimal form (env values are strings, but a hand-written graph may carry
// numbers).
func (f field) text() (string, status) {
	if f.st != stOK {
		return "", f.st
	}
	switch {
	case f.v.IsString():
		return f.v.AsString(), stOK
	case f.v.IsNumber():
		return strconv.FormatFloat(f.v.AsNumber(), 'g', -1, 64), stOK
	}
	return "", stInvalid
}
