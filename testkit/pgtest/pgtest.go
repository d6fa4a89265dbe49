// Package pgtest gives tests a real, throwaway PostgreSQL cluster started by
// scripts/pg-cluster.sh: loopback only, random port, max_connections 30 (3
// reserved for superusers), SCRAM passwords for a test role and a superuser.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// and in each test `c := pgtest.Shared(t)` (skips when PostgreSQL is not
// installed) or `c := pgtest.Start(t)` for a private cluster a test may stop.
// When HEADROOM_REQUIRE_POSTGRES=1 (CI), a missing PostgreSQL fails instead
// of skipping.
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBin is where Debian's postgresql-15 package installs the server.
const DefaultBin = "/usr/lib/postgresql/15/bin"

// RequireEnv makes a missing PostgreSQL a failure rather than a skip.
const RequireEnv = "HEADROOM_REQUIRE_POSTGRES"

// Cluster is one running throwaway cluster.
type Cluster struct {
	Dir string
	// DSN is the non-superuser test role (password auth); AdminDSN the
	// superuser (sees every session in pg_stat_activity).
	DSN            string
	AdminDSN       string
	Port           int
	MaxConnections int
	Reserved       int

	script string
	once   sync.Once
}

// Bin is the PostgreSQL binary directory (PG_BIN overrides DefaultBin).
func Bin() string {
	if b := os.Getenv("PG_BIN"); b != "" {
		return b
	}
	return DefaultBin
}

// Available reports whether the PostgreSQL binaries exist; the error says
// what is missing.
func Available() error {
	for _, b := range []string{"initdb", "pg_ctl", "postgres", "psql"} {
		if _, err := os.Stat(filepath.Join(Bin(), b)); err != nil {
			return fmt.Errorf("PostgreSQL binary %s not found in %s (install postgresql-15 or set PG_BIN)", b, Bin())
		}
	}
	return nil
}

// Required reports whether CI demands the probe tests run.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Script locates scripts/pg-cluster.sh from the working directory upwards
// (tests run in their package directory).
func Script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "pg-cluster.sh")
		if _, err := os.Stat(p); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return p, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/pg-cluster.sh not found above the working directory")
		}
		dir = parent
	}
}

// StartCluster starts a new cluster (independent of testing.T).
func StartCluster(ctx context.Context) (*Cluster, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	script, err := Script()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir(): its parents are 0700 root-owned, and the server runs
	// as an unprivileged user that must reach its data directory.
	dir, err := os.MkdirTemp("", "headroom-pg-")
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "bash", script, "start", dir).Output()
	if err != nil {
		var ee *exec.ExitError
		msg := err.Error()
		if errors.As(err, &ee) {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		_ = exec.Command("bash", script, "stop", dir).Run()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pg-cluster.sh start: %s", msg)
	}
	c := &Cluster{Dir: dir, script: script}
	// The owner file lets a later run sweep this cluster if this process
	// dies without stopping it (killed test binary, fuzz worker).
	_ = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
	env := parseEnv(string(out))
	c.DSN = env["HEADROOM_PG_DSN"]
	c.AdminDSN = env["HEADROOM_PG_ADMIN_DSN"]
	c.Port, _ = strconv.Atoi(env["HEADROOM_PG_PORT"])
	c.MaxConnections, _ = strconv.Atoi(env["HEADROOM_PG_MAX_CONNECTIONS"])
	c.Reserved, _ = strconv.Atoi(env["HEADROOM_PG_RESERVED"])
	if c.DSN == "" || c.AdminDSN == "" || c.Port == 0 {
		c.Stop()
		return nil, fmt.Errorf("pg-cluster.sh start: unexpected output %q", out)
	}
	return c, nil
}

func parseEnv(s string) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		env[k] = strings.Trim(v, "'")
	}
	return env
}

// Stop stops the server and removes its directory (idempotent).
func (c *Cluster) Stop() {
	c.once.Do(func() {
		_ = exec.Command("bash", c.script, "stop", c.Dir).Run()
		_ = os.RemoveAll(c.Dir)
	})
}

// Halt stops the server but keeps its data (a fault: server gone).
func (c *Cluster) Halt() error {
	out, err := exec.Command("bash", c.script, "halt", c.Dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg-cluster.sh halt: %v: %s", err, out)
	}
	return nil
}

// Resume starts a halted server again.
func (c *Cluster) Resume() error {
	out, err := exec.Command("bash", c.script, "resume", c.Dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg-cluster.sh resume: %v: %s", err, out)
	}
	return nil
}

// Sessions counts the sessions tagged with applicationName, as the
// superuser sees them.
func (c *Cluster) Sessions(ctx context.Context, applicationName string) (int, error) {
	conn, err := pgx.Connect(ctx, c.AdminDSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, applicationName).Scan(&n)
	return n, err
}

// WaitSessions polls until Sessions(applicationName) is 0 or timeout; it
// returns the last count. Backends exit asynchronously after a client
// closes, so a short settle time is legitimate.
func (c *Cluster) WaitSessions(ctx context.Context, applicationName string, timeout time.Duration) (int, error) {
	end := time.Now().Add(timeout)
	for {
		n, err := c.Sessions(ctx, applicationName)
		if err != nil || n == 0 || time.Now().After(end) {
			return n, err
		}
		time.Sleep(25 * time.Millisecond)
	}
}

var (
	shared     *Cluster
	sharedSkip string
)

// ownerFile holds the pid of the process that started a cluster.
const ownerFile = "owner.pid"

// sweepStale stops clusters left behind by test processes that died
// without stopping them. Only directories this package created (prefix
// headroom-pg-, an owner file) whose owner is gone are touched.
func sweepStale(script string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "headroom-pg-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // starting right now, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		_ = exec.Command("bash", script, "stop", d).Run()
		_ = os.RemoveAll(d)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Main runs a test package with one shared cluster: started before the
// tests, stopped after. Without PostgreSQL it runs the tests anyway (those
// that need the cluster skip) unless RequireEnv is set, in which case it
// fails at once.
func Main(m *testing.M) int {
	if err := Available(); err != nil {
		if Required() {
			fmt.Fprintf(os.Stderr, "FAIL: %s=1 but %v\n", RequireEnv, err)
			return 1
		}
		sharedSkip = fmt.Sprintf("probe integration tests SKIPPED: %v", err)
		fmt.Fprintln(os.Stderr, sharedSkip)
		return m.Run()
	}
	if script, err := Script(); err == nil {
		sweepStale(script)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	c, err := StartCluster(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting the test PostgreSQL cluster: %v\n", err)
		return 1
	}
	shared = c
	defer c.Stop()
	// Ctrl-C or a SIGTERM while the tests run: stop the server first.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			c.Stop()
			os.Exit(1)
		}
	}()
	return m.Run()
}

// Shared returns the package's cluster, or skips (fails under RequireEnv)
// when PostgreSQL is not installed.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		skipOrFail(t)
	}
	return shared
}

// Start gives a test its own cluster, stopped at the end of the test.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if err := Available(); err != nil {
		sharedSkip = fmt.Sprintf("probe integration tests SKIPPED: %v", err)
		skipOrFail(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx)
	if err != nil {
		t.Fatalf("starting a PostgreSQL cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func skipOrFail(t testing.TB) {
	t.Helper()
	msg := sharedSkip
	if msg == "" {
		msg = "no shared cluster: call pgtest.Main from TestMain"
	}
	if Required() {
		t.Fatalf("%s=1: %s", RequireEnv, msg)
	}
	t.Skip(msg)
}
