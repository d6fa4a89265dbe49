package config

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkErr is what every fuzz target asserts about an error: a *Error (or
// a *FileError from the file loader), on one line.
func checkErr(t *testing.T, err error, fileErr bool) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("multi-line error: %q", msg)
	}
	if fileErr {
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error is %T, want *FileError: %v", err, err)
		}
		return
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error is %T, want *Error: %v", err, err)
	}
	if !strings.HasPrefix(msg, ce.Key+": ") {
		t.Fatalf("message does not start with its key %q: %q", ce.Key, msg)
	}
}

// FuzzDecode replaces one key of a valid stack's engine-form config with
// an arbitrary string; the seed corpus is every key of every stack file of
// the repository that decodes.
func FuzzDecode(f *testing.F) {
	bases := map[string]map[string]string{}
	for _, fl := range repoStackFiles(f) {
		name := fl.Stack.Name
		if _, dup := bases[name]; dup {
			continue
		}
		bases[name] = fl.Values
		for k, v := range fl.Values {
			f.Add(name, k, v)
		}
	}
	f.Add("staging", "headroom:workloads", `[{"name":"a","db":{"poolSize":"ten"}}]`)
	f.Add("production", "headroom:network", `{"regions":{"us-east1":{"egress":"direct","direct":{"subnet":"10.8.0.0/28"}}}}`)
	f.Add("staging", "headroom:database", `{"replicas":[null,{"name":"x"}]}`)
	f.Add("staging", "headroom:unknown", "1")
	f.Fuzz(func(t *testing.T, stack, key, value string) {
		base, ok := bases[stack]
		if !ok {
			base = bases["staging"]
		}
		vals := make(map[string]string, len(base)+1)
		for k, v := range base {
			vals[k] = v
		}
		vals[key] = value
		s, err := Decode(stack, vals)
		checkErr(t, err, false)
		if err != nil {
			return
		}
		// A valid result must survive a round trip unchanged, whole.
		requireRoundTrip(t, s)
		// So must it with the fuzzed key set as a secret, when it is a key
		// the program reads (FromPulumi marks only those).
		if key == ProjectKey || slices.Contains(topKeys, strings.TrimPrefix(key, Namespace+":")) && strings.HasPrefix(key, Namespace+":") {
			ss, err := decode(stack, vals, map[string]bool{key: true})
			require.NoError(t, err, "a secret decodes like any other value")
			require.True(t, ss.IsSecret(key))
			ss.SecretKeys = nil
			require.Equal(t, s, ss)
			ss.SecretKeys = map[string]bool{key: true}
			requireRoundTrip(t, ss)
		}
	})
}

// FuzzLoadFile feeds arbitrary bytes to the stack-file loader; the seed
// corpus is the stack files themselves.
func FuzzLoadFile(f *testing.F) {
	for _, p := range stackFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("config:\n  headroom:network:\n    name:\n      secure: v1:x\n"))
	f.Add([]byte("config:\n  a: &x [1, *x]\n"))
	f.Add([]byte("config: {headroom:targets: {connectP99Seconds: .nan}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := loadBytes("Pulumi.fuzz.yaml", data)
		checkErr(t, err, true)
	})
}

// BenchmarkLoadFile measures parsing + validating the production stack
// file (no I/O).
func BenchmarkLoadFile(b *testing.B) {
	data, err := os.ReadFile(stackFiles["production"])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadBytes("Pulumi.production.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
