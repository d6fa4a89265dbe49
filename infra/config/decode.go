package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Namespace is the Pulumi config namespace of Headroom's keys (the project
// name in Pulumi.yaml).
const Namespace = "headroom"

// ProjectKey is the Pulumi config key of the Google Cloud project ID.
const ProjectKey = "gcp:project"

// topKeys are the keys under headroom:, in the fixed order the decoder and
// validation walk them (errors are deterministic).
var topKeys = []string{"environment", "network", "database", "workloads", "targets", "assumptions", "monitoring", "probe", "consumerStacks"}

// Decode decodes and validates one stack's configuration given in the form
// the Pulumi engine hands it to a Go program (PULUMI_CONFIG): keys are
// "<namespace>:<name>" ("headroom:network", "gcp:project"), structured
// values are JSON strings, scalars are plain strings. Keys of other
// namespaces except gcp:project are ignored; unknown headroom: keys and
// unknown nested keys are errors. Defaults are applied
// (docs/config-reference.md). The error, if any, is a *Error naming the
// full key path; when several keys are wrong, the first in the fixed walk
// order is reported.
func Decode(stack string, values map[string]string) (Stack, error) {
	return decode(stack, values, nil)
}

// decode is Decode with the set of keys whose values are secrets: their
// values never appear in error messages.
func decode(stack string, values map[string]string, secrets map[string]bool) (Stack, error) {
	s, err := decodeValues(stack, values, secrets)
	if err != nil {
		return Stack{}, redact(err, values, secrets)
	}
	return s, nil
}

// redact removes the values of secret keys from an error message: the
// whole raw value, and every string inside a structured one.
func redact(err error, values map[string]string, secrets map[string]bool) error {
	ce, ok := err.(*Error)
	if !ok || len(secrets) == 0 {
		return err
	}
	msg := ce.Msg
	for k := range secrets {
		raw, ok := values[k]
		if !ok {
			continue
		}
		var leaves []string
		if v, perr := parseJSON(raw); perr == nil {
			collectStrings(v, &leaves)
		}
		leaves = append(leaves, raw)
		// Longest first, so a value is replaced whole, not piecewise.
		sort.Slice(leaves, func(i, j int) bool { return len(leaves[i]) > len(leaves[j]) })
		for _, l := range leaves {
			if l == "" {
				continue
			}
			msg = strings.ReplaceAll(msg, l, "[secret]")
			msg = strings.ReplaceAll(msg, strings.Trim(strconv.Quote(l), `"`), "[secret]")
			msg = strings.ReplaceAll(msg, strings.Trim(strconv.Quote(clip(l)), `"`), "[secret]")
		}
	}
	return &Error{Key: ce.Key, Msg: msg}
}

func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}

func decodeValues(stack string, values map[string]string, secrets map[string]bool) (Stack, error) {
	s := Stack{Name: stack}
	d := &decoder{seen: map[string]bool{}, secrets: secrets}

	// Unknown keys first, sorted, so a typo is reported as a typo rather
	// than as the "missing required key" it causes.
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ns, name, ok := strings.Cut(k, ":")
		if !ok || ns != Namespace {
			continue
		}
		if !slices.Contains(topKeys, name) {
			return Stack{}, &Error{Key: k, Msg: "unknown key; expected one of headroom:" + strings.Join(sortedCopy(topKeys), ", headroom:")}
		}
	}

	if p, ok := values[ProjectKey]; ok {
		d.seen[ProjectKey] = true
		s.Project = p
	}

	rv := reflect.ValueOf(&s).Elem()
	for _, k := range topKeys {
		raw, ok := values[Namespace+":"+k]
		if !ok {
			continue
		}
		f, _ := fieldByName(rv, k)
		p := path{display: Namespace + ":" + k, pattern: k, secret: secrets[Namespace+":"+k]}
		var v any
		if f.Kind() == reflect.String {
			// Scalars arrive as plain strings, not JSON.
			v = raw
		} else {
			var err error
			if v, err = parseJSON(raw); err != nil {
				return Stack{}, d.typeErr(p, f, raw)
			}
		}
		if err := d.value(p, v, f); err != nil {
			return Stack{}, err
		}
	}
	if err := d.validate(&s); err != nil {
		return Stack{}, err
	}
	for k := range secrets {
		if s.SecretKeys == nil {
			s.SecretKeys = map[string]bool{}
		}
		s.SecretKeys[k] = true
	}
	return s, nil
}

// parseJSON decodes exactly one JSON value, keeping numbers as json.Number
// so integers are checked exactly.
func parseJSON(raw string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// path is a key path in two spellings: display is what errors print
// ("headroom:workloads[1].db.poolSize"); pattern is the same path with
// list indexes and map keys abstracted ("workloads[].db.poolSize"), used to
// look up what a key expects.
type path struct {
	display, pattern string
	secret           bool
}

func (p path) field(name string) path {
	return path{display: p.display + "." + name, pattern: p.pattern + "." + name, secret: p.secret}
}

func (p path) index(i int) path {
	return path{display: fmt.Sprintf("%s[%d]", p.display, i), pattern: p.pattern + "[]", secret: p.secret}
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (p path) key(k string) path {
	d := p.display + "." + k
	if !plainKey.MatchString(k) {
		d = fmt.Sprintf("%s[%q]", p.display, clip(k))
	}
	return path{display: d, pattern: p.pattern + ".*", secret: p.secret}
}

// decoder walks a JSON-model value (map[string]any, []any, string,
// json.Number, bool, nil) into the typed struct tree, recording which keys
// were present so defaults apply only to absent keys (an explicit 0 is an
// error where 0 is invalid, not a request for the default).
type decoder struct {
	seen    map[string]bool
	secrets map[string]bool
}

func (d *decoder) has(p path) bool { return d.seen[p.display] }

func (d *decoder) value(p path, v any, rv reflect.Value) error {
	if v == nil {
		// null is "not set": YAML `key:` or `key: ~`.
		return nil
	}
	d.seen[p.display] = true
	switch rv.Kind() {
	case reflect.Pointer:
		n := reflect.New(rv.Type().Elem())
		if err := d.value(p, v, n.Elem()); err != nil {
			return err
		}
		rv.Set(n)
		return nil
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		names := fieldNames(rv.Type())
		for _, k := range sortedKeys(m) {
			if !slices.Contains(names, k) {
				return &Error{Key: p.key(k).display, Msg: "unknown key; expected one of " + strings.Join(sortedCopy(names), ", ")}
			}
		}
		for _, name := range names {
			fv, ok := m[name]
			if !ok {
				continue
			}
			f, _ := fieldByName(rv, name)
			if err := d.value(p.field(name), fv, f); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		out := reflect.MakeMapWithSize(rv.Type(), len(m))
		for _, k := range sortedKeys(m) {
			e := reflect.New(rv.Type().Elem()).Elem()
			if err := d.value(p.key(k), m[k], e); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k), e)
		}
		rv.Set(out)
		return nil
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		out := reflect.MakeSlice(rv.Type(), len(l), len(l))
		for i, e := range l {
			if err := d.value(p.index(i), e, out.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(out)
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		rv.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		rv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		i, err := parseInt(n, rv.Type().Bits())
		if err != nil {
			return d.typeErr(p, rv, v)
		}
		rv.SetInt(i)
		return nil
	case reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return d.typeErr(p, rv, v)
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return d.typeErr(p, rv, v)
		}
		rv.SetFloat(f)
		return nil
	}
	// Unreachable for the types in types.go; a new field kind must be
	// added above.
	return &Error{Key: p.display, Msg: fmt.Sprintf("internal: unsupported field kind %s", rv.Kind())}
}

// parseInt accepts an integer literal, or a float literal with an integral
// value (YAML/JSON writers sometimes print 3 as 3.0 or 3e0).
func parseInt(n json.Number, bits int) (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, bits); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > float64(int64(1)<<(bits-1)-1) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not an integer")
	}
	return int64(f), nil
}

func (d *decoder) typeErr(p path, rv reflect.Value, v any) error {
	got := describe(v)
	if p.secret {
		got = "a secret value"
	}
	return &Error{Key: p.display, Msg: "must be " + expect(p, rv.Type()) + ", got " + got}
}

// expect says what a key expects: its documented constraint when there is
// one (so a wrong type and a wrong value read alike), else its type.
func expect(p path, t reflect.Type) string {
	if h, ok := hints[p.pattern]; ok {
		return h
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expect(p, t.Elem())
	case reflect.Struct:
		return "an object"
	case reflect.Map:
		return "an object keyed by name"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// jsonName is a field's config key (its json tag).
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		names = append(names, jsonName(f))
	}
	return names
}

func fieldByName(rv reflect.Value, name string) (reflect.Value, bool) {
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" && jsonName(f) == name {
			return rv.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}
