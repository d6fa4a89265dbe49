package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/probe"
)

func init() { register(newCalibrateCmd) }

type calibrateFlags struct {
	dsn           string
	out           string
	format        string
	serial        int
	workers       int
	burst         time.Duration
	timeout       time.Duration
	notProduction bool
}

func newCalibrateCmd() *cobra.Command {
	f := &calibrateFlags{}
	cmd := &cobra.Command{
		Use:   "calibrate",
		Short: "Measure a PostgreSQL server's accept rate, handshake latency and reserved slots; write an assumptions file",
		Long: `calibrate reads max_connections, superuser_reserved_connections and the number
of other sessions, measures the handshake latency (serial connections) and the
accept rate (a concurrent connect+close burst below the free slots), and writes
the headroom:assumptions keys acceptRatePerSecond, handshakeSeconds and
reservedConnections to --out (YAML): the keys of the stack's headroom:assumptions
and of the policy-pack config's assumptions object.

The burst is light (at most 8 concurrent connections) but it is still load: a
non-loopback target needs --i-know-this-is-not-production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runCalibrate(ctx, cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dsn, "dsn", "", "target PostgreSQL DSN (default $"+envProbeDSN+")")
	fl.StringVar(&f.out, "out", "", "write the assumptions YAML to this file (default: print it)")
	fl.StringVar(&f.format, "format", "text", "summary format: text or json")
	fl.IntVar(&f.serial, "serial", 30, "serial connections for the handshake latency")
	fl.IntVar(&f.workers, "workers", 0, "concurrency of the accept-rate burst (0 = min(8, free slots − 2))")
	fl.DurationVar(&f.burst, "burst", 3*time.Second, "duration of the accept-rate burst")
	fl.DurationVar(&f.timeout, "attempt-timeout", 10*time.Second, "timeout of one connection")
	fl.BoolVar(&f.notProduction, "i-know-this-is-not-production", false, "allow a non-loopback target")
	bindFromProbe(cmd)
	return cmd
}

// calibrateInputError maps the probe library's typed input errors to
// calibrate's flags (exit 2).
func calibrateInputError(err error) error {
	var se *probe.SettingError
	if errors.As(err, &se) && se.Setting == probe.SettingDSN {
		return usageErrorf("--dsn: %s", se.Reason)
	}
	if errors.Is(err, probe.ErrNotLoopback) {
		return usageErrorf("--dsn: %v; pass --i-know-this-is-not-production", err)
	}
	return usageErrorf("%v", err)
}

func runCalibrate(ctx context.Context, w io.Writer, f *calibrateFlags) error {
	if f.dsn == "" {
		f.dsn = os.Getenv(envProbeDSN)
	}
	switch {
	case f.dsn == "":
		return usageErrorf("--dsn: required (or set $%s)", envProbeDSN)
	case f.format != "text" && f.format != "json":
		return usageErrorf("--format: expected text or json, got %q", f.format)
	case f.serial < 1 || f.serial > 1000:
		return usageErrorf("--serial: expected 1…1000, got %d", f.serial)
	case f.workers < 0 || f.workers > 64:
		return usageErrorf("--workers: expected 0…64, got %d", f.workers)
	case f.burst <= 0 || f.burst > time.Minute:
		return usageErrorf("--burst: expected (0, 1m], got %s", f.burst)
	case f.timeout <= 0:
		return usageErrorf("--attempt-timeout: must be > 0, got %s", f.timeout)
	}
	if err := probe.CheckTarget(f.dsn, f.notProduction); err != nil {
		return calibrateInputError(err)
	}
	cal, err := probe.Calibrate(ctx, probe.CalibrateConfig{
		DSN: f.dsn, Serial: f.serial, Workers: f.workers, Burst: f.burst, AttemptTimeout: f.timeout,
	})
	if err != nil {
		var se *probe.SettingError
		if errors.As(err, &se) {
			return calibrateInputError(err)
		}
		// Unreachable server, wrong password, no free slot: an operation
		// that failed (exit 1), not bad input.
		return fmt.Errorf("calibrate: %w", err)
	}
	doc, err := cal.AssumptionsYAML()
	if err != nil {
		return fmt.Errorf("calibrate: rendering assumptions: %w", err)
	}
	if f.out != "" {
		if err := os.WriteFile(f.out, doc, 0o644); err != nil {
			return usageErrorf("--out %s: %v", f.out, err)
		}
	}
	if f.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cal)
	}
	fmt.Fprintf(w, "headroom calibrate: %s (PostgreSQL %s)\n", cal.Target, cal.ServerVersion)
	fmt.Fprintf(w, "max_connections            %d\n", cal.MaxConnections)
	fmt.Fprintf(w, "superuser_reserved         %d\n", cal.SuperuserReservedConnections)
	fmt.Fprintf(w, "other sessions             %d\n", cal.OtherSessions)
	fmt.Fprintf(w, "reservedConnections        %d  (usable by applications: %d)\n", cal.ReservedConnections, cal.MaxConnections-cal.ReservedConnections)
	fmt.Fprintf(w, "handshakeSeconds           %.6f  (p95 %.6f, n=%d serial)\n", cal.HandshakeSeconds, cal.Handshake.P95, cal.Handshake.Count)
	fmt.Fprintf(w, "acceptRatePerSecond        %.1f  (%d connections in %.3f s, %d workers)\n", cal.AcceptRatePerSecond, cal.BurstConnections, cal.BurstSeconds, cal.BurstWorkers)
	for o, n := range cal.BurstFailures {
		fmt.Fprintf(w, "burst failures             %s %d\n", o, n)
	}
	if f.out != "" {
		fmt.Fprintf(w, "wrote %s\n", f.out)
	} else {
		fmt.Fprintf(w, "\n%s", doc)
	}
	return nil
}
