package enginetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Programs other than the repository's own (a team's TypeScript or Go
// program judged by the pack) run in a ProgramSandbox: the program's files
// copied into a throwaway project, with the same PULUMI_HOME, file backend
// and stand-in provider as a Sandbox.

type located struct {
	once sync.Once
	path string
	why  string // empty when found
}

var nodeHost, nodeModules located

// requireOrSkip fails the test when the engine is required, else skips it.
func requireOrSkip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("engine tests required (%s=1) but %s", RequireEnv, why)
	}
	t.Skipf("engine tests skipped: %s", why)
}

// script runs one of the repository's scripts and returns the last line
// of its stdout, or the first line of its stderr as the reason it failed.
func (e *Engine) script(name string, args ...string) (string, string) {
	cmd := exec.Command("bash", append([]string{filepath.Join(e.Root, "scripts", name)}, args...)...)
	cmd.Env = append(os.Environ(), "HEADROOM_PULUMI="+e.CLI)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		why := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(why, "\n"); i >= 0 {
			why = why[i+1:]
		}
		return "", fmt.Sprintf("scripts/%s: %v: %s", name, err, why)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], ""
}

// NodeHost is the directory of Pulumi's Node.js language host
// (scripts/language-host-nodejs.sh), located or built once per process;
// without it the test skips, or fails under HEADROOM_REQUIRE_ENGINE=1.
func (e *Engine) NodeHost(t testing.TB) string {
	t.Helper()
	nodeHost.once.Do(func() { nodeHost.path, nodeHost.why = e.script("language-host-nodejs.sh") })
	if nodeHost.why != "" {
		requireOrSkip(t, nodeHost.why)
	}
	return nodeHost.path
}

// NodeModules is the node_modules of the foreign TypeScript programs,
// installed once with `npm ci` from their committed lockfile into a cache
// outside the clone (scripts/npm-install.sh).
func (e *Engine) NodeModules(t testing.TB) string {
	t.Helper()
	nodeModules.once.Do(func() { nodeModules.path, nodeModules.why = e.script("npm-install.sh") })
	if nodeModules.why != "" {
		requireOrSkip(t, nodeModules.why)
	}
	return nodeModules.path
}

// Module builds every package main of a Go module outside the
// repository's own (a testdata module with its own go.mod) in one `go
// build -o DIR/ ./...` and returns DIR: one binary per program, named
// after its directory, cached like Binary's under the source key.
func (e *Engine) Module(t testing.TB, name, dir string) string {
	t.Helper()
	e.mu.Lock()
	b, ok := e.built["module:"+name]
	if !ok {
		b = &buildResult{}
		e.built["module:"+name] = b
	}
	e.mu.Unlock()
	b.once.Do(func() {
		out := filepath.Join(e.bin, name)
		if fi, err := os.Stat(filepath.Join(out, ".complete")); err == nil && fi.Mode().IsRegular() {
			b.path = out
			return
		}
		start := time.Now()
		tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			b.err = err
			return
		}
		cmd := exec.Command("go", "build", "-o", tmp+string(os.PathSeparator), "./...")
		cmd.Dir = dir
		if o, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(tmp)
			b.err = fmt.Errorf("go build ./... in %s: %v\n%s", dir, err, o)
			return
		}
		if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
			b.err = err
			return
		}
		_ = os.RemoveAll(out)
		if err := os.Rename(tmp, out); err != nil {
			b.err = err
			return
		}
		b.path = out
		t.Logf("enginetest: built the programs of %s in %v", dir, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Program describes a foreign program for NewProgramSandbox.
type Program struct {
	// Dir holds the program (Pulumi.yaml and its sources); its files are
	// copied into the sandbox's project directory.
	Dir string
	// Shared are extra files copied beside them (a package.json and
	// tsconfig.json shared by several programs).
	Shared []string
	// NodeModules, when set, is linked as the project's node_modules and
	// the Node.js language host is put on PATH.
	NodeModules string
	// Binary, when set, is the Go program built (Module): the project's
	// `runtime: go` gets the option `binary`, so the language host runs
	// it instead of compiling the program in every sandbox.
	Binary string
	// Stack is created with Config as its stack file's config.
	Stack  string
	Config map[string]string
}

// NewProgramSandbox copies a program into a fresh project and creates its
// stack in a fresh file backend.
func (e *Engine) NewProgramSandbox(t testing.TB, p Program) *Sandbox {
	t.Helper()
	plugin := e.Plugin(t)
	dir := t.TempDir()
	s := &Sandbox{
		E:       e,
		Dir:     filepath.Join(dir, "project"),
		Home:    filepath.Join(dir, "pulumi-home"),
		Backend: filepath.Join(dir, "backend"),
		Cloud:   filepath.Join(dir, "cloud.json"),
	}
	if err := installPlugin(s.Home, plugin); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.Dir, s.Backend} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string(nil), p.Shared...)
	for _, en := range entries {
		if en.Type().IsRegular() {
			files = append(files, filepath.Join(p.Dir, en.Name()))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "Pulumi.yaml" && p.Binary != "" {
			y := strings.Replace(string(b), "runtime: go\n",
				fmt.Sprintf("runtime:\n  name: go\n  options:\n    binary: %s\n", p.Binary), 1)
			if y == string(b) {
				t.Fatalf("%s: expected a line `runtime: go`", f)
			}
			b = []byte(y)
		}
		if err := os.WriteFile(filepath.Join(s.Dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.env = s.baseEnv(e)
	if p.NodeModules != "" {
		if err := os.Symlink(p.NodeModules, filepath.Join(s.Dir, "node_modules")); err != nil {
			t.Fatal(err)
		}
		host := e.NodeHost(t)
		for i, kv := range s.env {
			if strings.HasPrefix(kv, "PATH=") {
				s.env[i] = "PATH=" + host + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
			}
		}
	}
	if p.Stack != "" {
		cfg := map[string]map[string]string{"config": p.Config}
		b, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.Dir, "Pulumi."+p.Stack+".yaml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if r := s.Pulumi(t, "stack", "init", p.Stack, "--non-interactive"); r.Code != 0 {
			t.Fatalf("pulumi stack init %s: exit %d\n%s", p.Stack, r.Code, r.Out)
		}
	}
	return s
}

// UseBackendOf points this sandbox at other's file backend, so its stacks
// and other's can read each other through StackReferences (the stand-in's
// cloud stays this sandbox's own). Call it before creating stacks.
func (s *Sandbox) UseBackendOf(other *Sandbox) {
	s.Backend = other.Backend
	for i, kv := range s.env {
		if strings.HasPrefix(kv, "PULUMI_BACKEND_URL=") {
			s.env[i] = "PULUMI_BACKEND_URL=file://" + other.Backend
		}
	}
}
