// Package enginetest runs the repository's program, policy pack and CLI
// under the real Pulumi engine in tests: the pinned Pulumi CLI, the Go
// language host, a file backend with passphrase secrets, a private
// PULUMI_HOME with the stand-in GCP provider plugin (testkit/standin/gcp)
// installed, and no network.
//
//	e := enginetest.Require(t)             // skips (or fails in CI) when the engine is missing
//	sb := e.NewSandbox(t, map[string]string{"staging": config.StackFile(root, "staging")})
//	res := sb.Pulumi(t, "preview", "--stack", "staging", "--policy-pack", e.PolicyPack(t))
//
// The program and the pack are built once per test process and shared by
// every sandbox (the sandbox's Pulumi.yaml names the built program binary,
// so the engine does not compile it again for each stack).
package enginetest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/headroom-dev/headroom/testkit/standin/gcp"
)

// RequireEnv makes a missing engine a failure instead of a skip (CI sets
// it: .ci/run).
const RequireEnv = "HEADROOM_REQUIRE_ENGINE"

// Passphrase is the sandboxes' secrets passphrase.
const Passphrase = "headroom-engine-test"

// Engine is the located CLI and language host and the binaries built from
// the repository.
type Engine struct {
	Root         string // repository root
	CLI          string // the Pulumi CLI
	LanguageHost string // directory holding pulumi-language-go
	// bin holds the built binaries, keyed by the repository's Go sources
	// ($HEADROOM_CACHE or ~/.cache/headroom, enginetest/<key>): test
	// processes and reruns share them until a source changes.
	bin string

	mu    sync.Mutex
	built map[string]*buildResult
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

var (
	once    sync.Once
	shared  *Engine
	missing string // why the engine is unavailable
)

// Require returns the engine, building what is missing once per process.
// Without the CLI or the language host the test is skipped with one line
// naming what is missing, unless HEADROOM_REQUIRE_ENGINE=1 (then it fails).
func Require(t testing.TB) *Engine {
	t.Helper()
	once.Do(func() { shared, missing = locate() })
	if missing != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("engine tests required (%s=1) but %s", RequireEnv, missing)
		}
		t.Skipf("engine tests skipped: %s", missing)
	}
	return shared
}

func locate() (*Engine, string) {
	root, err := repoRoot()
	if err != nil {
		return nil, err.Error()
	}
	e := &Engine{Root: root, built: map[string]*buildResult{}}
	// The pinned CLI: $HEADROOM_PULUMI, else scripts/install-pulumi.sh
	// (which reuses .bin/pulumi or the user cache, and builds it otherwise).
	if p := os.Getenv("HEADROOM_PULUMI"); p != "" {
		e.CLI = p
	} else {
		out, err := exec.Command("bash", filepath.Join(root, "scripts", "install-pulumi.sh")).Output()
		if err != nil {
			return nil, "no Pulumi CLI v3.274.1 (scripts/install-pulumi.sh failed; set HEADROOM_PULUMI)"
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		e.CLI = lines[len(lines)-1]
	}
	if out, err := exec.Command(e.CLI, "version").Output(); err != nil || strings.TrimSpace(string(out)) != "v3.274.1" {
		return nil, fmt.Sprintf("Pulumi CLI %s is not v3.274.1", e.CLI)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "language-host.sh"))
	cmd.Env = append(os.Environ(), "HEADROOM_PULUMI="+e.CLI)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, strings.TrimPrefix(strings.TrimSpace(stderr.String()), "language-host: ")
	}
	e.LanguageHost = strings.TrimSpace(string(out))
	key, err := sourceKey(root)
	if err != nil {
		return nil, err.Error()
	}
	cache := os.Getenv("HEADROOM_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, err.Error()
		}
		cache = filepath.Join(dir, "headroom")
	}
	base := filepath.Join(cache, "enginetest")
	e.bin = filepath.Join(base, key)
	if err := os.MkdirAll(e.bin, 0o755); err != nil {
		return nil, err.Error()
	}
	now := time.Now()
	_ = os.Chtimes(e.bin, now, now)
	prune(base, key)
	return e, ""
}

// sourceKey hashes what the built binaries depend on: the Go toolchain's
// version and every Go source, go.mod and go.sum of the repository.
func sourceKey(root string) (string, error) {
	h := sha256.New()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %v", err)
	}
	h.Write(out)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// prune removes builds of other source versions unused for a day.
func prune(base, keep string) {
	entries, _ := os.ReadDir(base)
	for _, d := range entries {
		if d.Name() == keep || !d.IsDir() {
			continue
		}
		if fi, err := d.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(filepath.Join(base, d.Name()))
		}
	}
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod + Pulumi.yaml) not found above the test's directory")
		}
		dir = parent
	}
}

// Binary builds a package main of the repository once per process
// (go build -o) and returns the binary's path.
func (e *Engine) Binary(t testing.TB, name, pkg string) string {
	t.Helper()
	e.mu.Lock()
	b, ok := e.built[name]
	if !ok {
		b = &buildResult{}
		e.built[name] = b
	}
	e.mu.Unlock()
	b.once.Do(func() {
		path := filepath.Join(e.bin, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			b.path = path
			return
		}
		start := time.Now()
		tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, pkg)
		cmd.Dir = e.Root
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.Remove(tmp)
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
			return
		}
		if err := os.Rename(tmp, path); err != nil {
			b.err = err
			return
		}
		b.path = path
		t.Logf("enginetest: built %s in %v", pkg, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Program is the repository's Pulumi program (main.go) built.
func (e *Engine) Program(t testing.TB) string { return e.Binary(t, "headroom-program", ".") }

// PolicyPack is the policy pack binary (make policy-pack).
func (e *Engine) PolicyPack(t testing.TB) string {
	return e.Binary(t, "headroom-policies", "./policies")
}

// PolicyPackDir is the pack in directory form: the language host builds it.
func (e *Engine) PolicyPackDir() string { return filepath.Join(e.Root, "policies") }

// Headroom is the headroom CLI built.
func (e *Engine) Headroom(t testing.TB) string { return e.Binary(t, "headroom", "./cmd/headroom") }

// Plugin is the stand-in provider plugin binary.
func (e *Engine) Plugin(t testing.TB) string {
	return e.Binary(t, "pulumi-resource-gcp", "./testkit/standin/gcp/cmd/pulumi-resource-gcp")
}

// installPlugin puts the stand-in into a PULUMI_HOME as resource plugin
// gcp v7.38.0, where the engine looks for the version the program's SDK
// asks for (what `pulumi plugin install resource gcp 7.38.0 --file` does,
// without copying the binary).
func installPlugin(home, plugin string) error {
	dir := filepath.Join(home, "plugins", "resource-gcp-v"+gcp.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Symlink(plugin, filepath.Join(dir, "pulumi-resource-gcp"))
}

// Sandbox is one throwaway Pulumi project: a project directory whose
// Pulumi.yaml runs the built program, stack files under stacks/, a file
// backend, and the stand-in's cloud (a state file).
type Sandbox struct {
	E       *Engine
	Dir     string // project directory (the --root of headroom commands)
	Home    string // PULUMI_HOME
	Backend string
	// Cloud is the stand-in provider's state file.
	Cloud string
	env   []string
}

// NewSandbox creates a project with the given stacks (name → stack file)
// and initialises each stack in a fresh file backend.
func (e *Engine) NewSandbox(t testing.TB, stacks map[string]string) *Sandbox {
	t.Helper()
	plugin := e.Plugin(t)
	program := e.Program(t)
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
	for _, d := range []string{filepath.Join(s.Dir, "stacks"), s.Backend} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The project's own Pulumi.yaml with the Go runtime pointed at the
	// built program (runtime option `binary`): the language host runs it
	// instead of compiling the program for every stack.
	project, err := os.ReadFile(filepath.Join(e.Root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(project), "runtime: go\n",
		fmt.Sprintf("runtime:\n  name: go\n  options:\n    binary: %s\n", program), 1)
	if !strings.Contains(yaml, "binary: ") {
		t.Fatalf("Pulumi.yaml: expected a line `runtime: go`")
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "Pulumi.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = s.baseEnv(e)
	names := make([]string, 0, len(stacks))
	for name := range stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := os.ReadFile(stacks[name])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.Dir, "stacks", "Pulumi."+name+".yaml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if r := s.Pulumi(t, "stack", "init", name, "--non-interactive"); r.Code != 0 {
			t.Fatalf("pulumi stack init %s: exit %d\n%s", name, r.Code, r.Out)
		}
	}
	return s
}

// baseEnv is a sandbox's environment: its PULUMI_HOME, file backend,
// passphrase, the stand-in's state file, no plugin downloads, and the
// language host(s) and CLI first on PATH.
func (s *Sandbox) baseEnv(e *Engine) []string {
	return append(os.Environ(),
		"PULUMI_HOME="+s.Home,
		"PULUMI_BACKEND_URL=file://"+s.Backend,
		"PULUMI_CONFIG_PASSPHRASE="+Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		// --event-log (the engine's event stream, with the policy events)
		// is a debug flag of the CLI; the Automation API sets this too.
		"PULUMI_DEBUG_COMMANDS=true",
		"NO_COLOR=1",
		gcp.StateEnv+"="+s.Cloud,
		"HEADROOM_PULUMI="+e.CLI,
		"PATH="+e.LanguageHost+string(os.PathListSeparator)+filepath.Dir(e.CLI)+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
}

// Env is the sandbox's environment for a child process.
func (s *Sandbox) Env() []string { return append([]string(nil), s.env...) }

// Setenv applies the sandbox's environment to this process for the rest
// of the test (for in-process Automation API calls; not for parallel
// tests).
func (s *Sandbox) Setenv(t *testing.T) {
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Result is a finished command.
type Result struct {
	Out     string // stdout and stderr, interleaved
	Stdout  string
	Code    int
	Elapsed time.Duration
}

// Run runs a program in the project directory with the sandbox's
// environment.
func (s *Sandbox) Run(t testing.TB, bin string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.Dir
	cmd.Env = s.env
	var all, stdout bytes.Buffer
	var mu sync.Mutex
	cmd.Stdout = &locked{mu: &mu, w: []*bytes.Buffer{&all, &stdout}}
	cmd.Stderr = &locked{mu: &mu, w: []*bytes.Buffer{&all}}
	start := time.Now()
	err := cmd.Run()
	r := Result{Out: all.String(), Stdout: stdout.String(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", filepath.Base(bin), args, err)
	}
	return r
}

// locked writes to buffers under a mutex shared by the command's stdout
// and stderr (os/exec copies them from two goroutines).
type locked struct {
	mu *sync.Mutex
	w  []*bytes.Buffer
}

func (l *locked) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.w {
		b.Write(p)
	}
	return len(p), nil
}

// Pulumi runs the Pulumi CLI in the sandbox.
func (s *Sandbox) Pulumi(t testing.TB, args ...string) Result {
	t.Helper()
	return s.Run(t, s.E.CLI, args...)
}

// Headroom runs the headroom CLI in the sandbox (--root is the project).
func (s *Sandbox) Headroom(t testing.TB, args ...string) Result {
	t.Helper()
	return s.Run(t, s.E.Headroom(t), args...)
}

// State loads the stand-in's cloud.
func (s *Sandbox) State(t testing.TB) *gcp.State {
	t.Helper()
	st, err := gcp.Load(s.Cloud)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Events reads a Pulumi --event-log file.
func Events(t testing.TB, path string) []apitype.EngineEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ParseEvents(t, string(b))
}

// ParseEvents decodes JSON lines of engine events (an event log, or the
// output of `pulumi policy analyze --json`).
func ParseEvents(t testing.TB, lines string) []apitype.EngineEvent {
	t.Helper()
	var out []apitype.EngineEvent
	sc := bufio.NewScanner(strings.NewReader(lines))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev apitype.EngineEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("engine event %q: %v", line, err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Violations are the policy events of an event log: policy name → levels
// seen ("mandatory", "advisory").
func Violations(events []apitype.EngineEvent) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, ev := range events {
		p := ev.PolicyEvent
		if p == nil {
			continue
		}
		if out[p.PolicyName] == nil {
			out[p.PolicyName] = map[string]bool{}
		}
		out[p.PolicyName][p.EnforcementLevel] = true
	}
	return out
}

// Mandatory lists the policies with a mandatory violation, sorted.
func Mandatory(v map[string]map[string]bool) []string {
	var out []string
	for name, levels := range v {
		if levels["mandatory"] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Summary is the engine's resource-change summary of an event log
// ("create": 28, "same": 0, …) and whether the policy pack named pack ran.
func Summary(events []apitype.EngineEvent, pack string) (map[string]int, bool) {
	counts := map[string]int{}
	ran := false
	for _, ev := range events {
		if s := ev.SummaryEvent; s != nil {
			for op, n := range s.ResourceChanges {
				counts[string(op)] = n
			}
			// Keys are the pack's name, or "name|local|path" for a
			// local pack during preview and up.
			for k := range s.PolicyPacks {
				if k == pack || strings.HasPrefix(k, pack+"|") {
					ran = true
				}
			}
		}
	}
	return counts, ran
}

// StepOps maps each resource URN of an event log to its step operation
// (create, update, replace, delete, same…), from the resource-pre events.
func StepOps(events []apitype.EngineEvent) map[string]string {
	out := map[string]string{}
	for _, ev := range events {
		if p := ev.ResourcePreEvent; p != nil {
			out[p.Metadata.URN] = string(p.Metadata.Op)
		}
	}
	return out
}
