package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/probe"
)

func init() { register(newProbeCmd) }

// Environment variables that may carry DSNs, so passwords stay out of
// argv (visible in ps) and shell history.
const (
	envProbeDSN        = "HEADROOM_PROBE_DSN"
	envProbeMonitorDSN = "HEADROOM_PROBE_MONITOR_DSN"
)

type probeFlags struct {
	dsn, monitorDSN    string
	instances          int
	ramp               time.Duration
	startupConnections int
	connectTimeout     time.Duration
	attemptTimeout     time.Duration
	retryInitial       time.Duration
	retryMax           time.Duration
	retryMultiplier    float64
	retryJitter        bool
	hold               time.Duration
	deadline           time.Duration
	format             string
	stack, workload    string
	root               string
	targetSuccess      float64
	targetConnectP99   time.Duration
	notProduction      bool
	churn              time.Duration
}

func newProbeCmd() *cobra.Command {
	f := &probeFlags{}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Reproduce a cold-start connection storm against a PostgreSQL server and judge it against the targets",
		Long: `probe starts --instances simulated Cloud Run instances over --ramp; each opens
--startup-connections connections concurrently, retrying with exponential backoff
until its --connect-timeout, holds them for --hold, then closes them. It reports
the startup success rate, connection latency and time-to-ready percentiles,
outcome counts by class and the peak sessions on the server, and judges them
against the stack's targets (exit 0 met, 1 not met, 2 bad input).

The DSN may come from $` + envProbeDSN + ` (and the monitor's from $` + envProbeMonitorDSN + `)
to keep passwords out of the process list. A non-loopback target needs
--i-know-this-is-not-production or a --stack whose environment is not production.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runProbe(ctx, cmd, f)
		},
	}
	cmd.AddCommand(probeSubcommands()...)
	fl := cmd.Flags()
	fl.StringVar(&f.dsn, "dsn", "", "target PostgreSQL DSN (default $"+envProbeDSN+")")
	fl.StringVar(&f.monitorDSN, "monitor-dsn", "", "optional DSN of a role that sees all sessions, to count the peak on the server (default $"+envProbeMonitorDSN+")")
	fl.IntVar(&f.instances, "instances", 10, "instances starting in the storm (with --churn: concurrent workers)")
	fl.DurationVar(&f.ramp, "ramp", 0, "spread instance starts over this window (0 = all at once)")
	addStartupFlags(fl, f)
	fl.DurationVar(&f.hold, "hold", 0, "how long a ready instance keeps its startup connections before closing them")
	fl.DurationVar(&f.deadline, "deadline", 5*time.Minute, "hard limit on the whole probe")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.stack, "stack", "", "take instances, startup connections, timeouts, retries and targets from this stack's config")
	fl.StringVar(&f.workload, "workload", "", "the workload of --stack to reproduce (default: the only one)")
	fl.StringVar(&f.root, "root", ".", "repository root holding stacks/Pulumi.<stack>.yaml")
	fl.Float64Var(&f.targetSuccess, "target-success-rate", 0, "startup success target 0–1 (default: stack's, else "+defaultSuccessText+")")
	fl.DurationVar(&f.targetConnectP99, "target-connect-p99", 0, "connect p99 target (default: stack's, else "+defaultConnectP99Text+")")
	fl.BoolVar(&f.notProduction, "i-know-this-is-not-production", false, "allow a storm against a non-loopback host")
	fl.DurationVar(&f.churn, "churn", 0, "instead of a storm, run --instances connect+close loops for this long and report the connection rate")
	return cmd
}

// addStartupFlags declares the flags that describe how one instance opens
// its startup connections, shared by probe and probe task. The retry
// defaults are the capacity model's (capacity.DefaultRetry*), so a bare
// probe retries the way the plan assumes the apps do.
func addStartupFlags(fl *pflag.FlagSet, f *probeFlags) {
	fl.IntVar(&f.startupConnections, "startup-connections", 2, "connections each instance opens before it is ready")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", 30*time.Second, "an instance's budget for its startup connections, retries included")
	fl.DurationVar(&f.attemptTimeout, "attempt-timeout", 0, "timeout of one connection attempt (0 = --connect-timeout)")
	fl.DurationVar(&f.retryInitial, "retry-initial", seconds(capacity.DefaultRetryInitialSeconds), "wait before the first retry")
	fl.DurationVar(&f.retryMax, "retry-max", seconds(capacity.DefaultRetryMaxSeconds), "longest wait between retries")
	fl.Float64Var(&f.retryMultiplier, "retry-multiplier", capacity.DefaultRetryMultiplier, "backoff growth per retry (≥ 1)")
	fl.BoolVar(&f.retryJitter, "retry-jitter", true, "draw each backoff uniformly from [½, 1] × the delay (equal jitter, as the capacity model assumes)")
}

// The default targets as help texts, from the capacity model's defaults.
var (
	defaultSuccessText    = fmt.Sprintf("%.2f", capacity.DefaultStartupSuccessRate)
	defaultConnectP99Text = seconds(capacity.DefaultConnectP99Seconds).String()
)

// probeOutput is the JSON document (docs/probe.md "JSON output").
type probeOutput struct {
	*probe.Result
	Settings probeSettings     `json:"settings"`
	Targets  probe.Targets     `json:"targets"`
	Criteria []probe.Criterion `json:"criteria"`
	Pass     bool              `json:"pass"`
}

type probeSettings struct {
	Stack                 string  `json:"stack,omitempty"`
	Workload              string  `json:"workload,omitempty"`
	Instances             int     `json:"instances"`
	RampSeconds           float64 `json:"rampSeconds"`
	StartupConnections    int     `json:"startupConnections"`
	ConnectTimeoutSeconds float64 `json:"connectTimeoutSeconds"`
	AttemptTimeoutSeconds float64 `json:"attemptTimeoutSeconds"`
	RetryInitialSeconds   float64 `json:"retryInitialSeconds"`
	RetryMaxSeconds       float64 `json:"retryMaxSeconds"`
	RetryMultiplier       float64 `json:"retryMultiplier"`
	RetryJitter           bool    `json:"retryJitter"`
	HoldSeconds           float64 `json:"holdSeconds"`
	DeadlineSeconds       float64 `json:"deadlineSeconds"`
}

func runProbe(ctx context.Context, cmd *cobra.Command, f *probeFlags) error {
	if f.format != "text" && f.format != "json" {
		return usageErrorf("--format: expected text or json, got %q", f.format)
	}
	if f.dsn == "" {
		f.dsn = os.Getenv(envProbeDSN)
	}
	if f.monitorDSN == "" {
		f.monitorDSN = os.Getenv(envProbeMonitorDSN)
	}
	if f.dsn == "" {
		return usageErrorf("--dsn: required (or set $%s)", envProbeDSN)
	}
	if f.targetSuccess < 0 || f.targetSuccess > 1 {
		return usageErrorf("--target-success-rate: expected 0–1, got %v", f.targetSuccess)
	}
	if f.targetConnectP99 < 0 {
		return usageErrorf("--target-connect-p99: must be ≥ 0, got %s", f.targetConnectP99)
	}
	if f.workload != "" && f.stack == "" {
		return usageErrorf("--workload: needs --stack")
	}

	targets := probe.Targets{}
	confirmed := f.notProduction
	var settings probeSettings
	if f.stack != "" {
		sc, err := stackProbeSettings(f.root, f.stack, f.workload)
		if err != nil {
			return usageErrorf("%v", err)
		}
		applyStack(cmd, f, sc)
		targets = sc.targets
		settings.Stack, settings.Workload = f.stack, sc.workload
		if sc.environment != string(productionEnv) {
			confirmed = true
		}
	}
	if f.targetSuccess > 0 {
		targets.StartupSuccessRate = f.targetSuccess
	}
	if f.targetConnectP99 > 0 {
		targets.ConnectP99Seconds = f.targetConnectP99.Seconds()
	}
	targets = targets.WithDefaults()

	if err := probe.CheckTarget(f.dsn, confirmed); err != nil {
		return probeInputError(err, "--dsn")
	}
	if f.monitorDSN != "" {
		if err := probe.CheckTarget(f.monitorDSN, confirmed); err != nil {
			return probeInputError(err, "--monitor-dsn")
		}
	}

	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.churn > 0 {
		return runChurn(ctx, out, f)
	}

	cfg := probe.Config{
		DSN:                f.dsn,
		MonitorDSN:         f.monitorDSN,
		Instances:          f.instances,
		Ramp:               f.ramp,
		StartupConnections: f.startupConnections,
		ConnectTimeout:     f.connectTimeout,
		AttemptTimeout:     f.attemptTimeout,
		Backoff:            probe.Backoff{Initial: f.retryInitial, Max: f.retryMax, Multiplier: f.retryMultiplier, Jitter: f.retryJitter},
		Hold:               f.hold,
		Deadline:           f.deadline,
	}
	if err := cfg.Validate(); err != nil {
		return probeInputError(err, "")
	}
	if isTerminal(errOut) {
		cfg.Progress = progressPrinter(errOut, f.instances)
	}
	res, err := probe.Run(ctx, cfg)
	if err != nil {
		var me *probe.MonitorError
		if errors.As(err, &me) {
			// The storm could not run: the monitor does not connect.
			return fmt.Errorf("probe: --monitor-dsn: %w", me.Err)
		}
		return probeInputError(err, "")
	}
	crit := probe.Evaluate(res, targets)
	settings.Instances = cfg.Instances
	settings.RampSeconds = cfg.Ramp.Seconds()
	settings.StartupConnections = cfg.StartupConnections
	settings.ConnectTimeoutSeconds = cfg.ConnectTimeout.Seconds()
	settings.AttemptTimeoutSeconds = cfg.AttemptTimeout.Seconds()
	if cfg.AttemptTimeout == 0 || cfg.AttemptTimeout > cfg.ConnectTimeout {
		settings.AttemptTimeoutSeconds = cfg.ConnectTimeout.Seconds()
	}
	settings.RetryInitialSeconds = cfg.Backoff.Initial.Seconds()
	settings.RetryMaxSeconds = cfg.Backoff.Max.Seconds()
	settings.RetryMultiplier = cfg.Backoff.Multiplier
	settings.RetryJitter = cfg.Backoff.Jitter
	settings.HoldSeconds = cfg.Hold.Seconds()
	settings.DeadlineSeconds = cfg.Deadline.Seconds()
	doc := probeOutput{Result: res, Settings: settings, Targets: targets, Criteria: crit, Pass: probe.Passed(crit)}

	if f.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else {
		writeProbeText(out, &doc)
	}
	if res.Interrupted {
		return &exitError{Code: exitInternal, Err: errors.New("probe interrupted; every connection was closed")}
	}
	if !doc.Pass {
		return &exitError{Code: exitViolations, Err: errors.New("probe: targets not met")}
	}
	return nil
}

func runChurn(ctx context.Context, out io.Writer, f *probeFlags) error {
	timeout := f.attemptTimeout
	if timeout == 0 {
		timeout = f.connectTimeout
	}
	r, err := probe.Churn(ctx, f.dsn, f.instances, f.churn, timeout)
	if err != nil {
		return probeInputError(err, "")
	}
	if f.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(out, "headroom probe --churn: %d workers against %s\n", r.Workers, r.Target)
	fmt.Fprintf(out, "connections         %d in %.3f s = %.1f connections/s\n", r.Connections, r.Seconds, r.RatePerSecond)
	for _, o := range probe.Outcomes {
		if n := r.Failures[o]; n > 0 {
			fmt.Fprintf(out, "failures            %s %d\n", o, n)
		}
	}
	return nil
}

// probeFlags names the flag of each probe setting (the probe library names
// settings, never flags).
var probeSettingFlags = map[probe.Setting]string{
	probe.SettingDSN:                "--dsn",
	probe.SettingMonitorDSN:         "--monitor-dsn",
	probe.SettingInstances:          "--instances",
	probe.SettingStartupConnections: "--startup-connections",
	probe.SettingSessions:           "--instances × --startup-connections",
	probe.SettingRamp:               "--ramp",
	probe.SettingConnectTimeout:     "--connect-timeout",
	probe.SettingAttemptTimeout:     "--attempt-timeout",
	probe.SettingRetryInitial:       "--retry-initial",
	probe.SettingRetryMax:           "--retry-max",
	probe.SettingRetryMult:          "--retry-multiplier",
	probe.SettingHold:               "--hold",
	probe.SettingDeadline:           "--deadline",
	probe.SettingChurn:              "--churn",
}

// probeInputError maps the probe library's typed errors to the CLI's: a bad
// setting names its flag (exit 2), a non-loopback target says how to
// confirm it (exit 2). dsnFlag, when set, is the flag whose DSN was checked
// (CheckTarget knows only "the DSN"). Anything else is an operation that
// failed (exit 1).
func probeInputError(err error, dsnFlag string) error {
	var se *probe.SettingError
	if errors.As(err, &se) {
		name := probeSettingFlags[se.Setting]
		if se.Setting == probe.SettingDSN && dsnFlag != "" {
			name = dsnFlag
		}
		if name == "" {
			name = string(se.Setting)
		}
		return usageErrorf("%s: %s", name, se.Reason)
	}
	if errors.Is(err, probe.ErrNotLoopback) {
		return usageErrorf("%s: %v; pass --i-know-this-is-not-production or a --stack whose environment is not production", dsnFlag, err)
	}
	return fmt.Errorf("probe: %w", err)
}

func writeProbeText(w io.Writer, d *probeOutput) {
	r, s := d.Result, d.Settings
	fmt.Fprintf(w, "headroom probe: %d instances × %d startup connections against %s\n", s.Instances, s.StartupConnections, r.Target)
	if s.Stack != "" {
		fmt.Fprintf(w, "  from stack %s, workload %s\n", s.Stack, s.Workload)
	}
	fmt.Fprintf(w, "  ramp %gs, connect timeout %gs, attempt timeout %gs, retry %gs→%gs ×%g, hold %gs, deadline %gs\n",
		s.RampSeconds, s.ConnectTimeoutSeconds, s.AttemptTimeoutSeconds, s.RetryInitialSeconds, s.RetryMaxSeconds, s.RetryMultiplier, s.HoldSeconds, s.DeadlineSeconds)
	fmt.Fprintln(w)
	for _, c := range d.Criteria {
		verdict := "PASS"
		if !c.Pass {
			verdict = "FAIL"
		}
		var measured, target string
		switch c.Name {
		case "startupSuccessRate":
			measured = fmt.Sprintf("%d/%d = %.1f %%", r.Ready, r.Instances, 100*c.Measured)
			target = fmt.Sprintf("≥ %.1f %%", 100*c.Target)
		default:
			measured = fmt.Sprintf("%.3f s", c.Measured)
			target = fmt.Sprintf("≤ %g s", c.Target)
		}
		line := fmt.Sprintf("%-20s %-22s target %-10s %s", c.Name, measured, target, verdict)
		if c.Note != "" {
			line += " (" + c.Note + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	pct := func(name string, p probe.Percentiles) {
		if p.Count == 0 {
			fmt.Fprintf(w, "%-20s none\n", name)
			return
		}
		fmt.Fprintf(w, "%-20s p50 %.3f s  p95 %.3f s  p99 %.3f s  max %.3f s  (n=%d)\n", name, p.P50, p.P95, p.P99, p.Max, p.Count)
	}
	pct("time to ready", r.TimeToReady)
	pct("connect (w/ retries)", r.ConnectLatency)
	pct("attempt latency", r.AttemptLatency)
	var oc []string
	for _, o := range probe.Outcomes {
		oc = append(oc, fmt.Sprintf("%s %d", o, r.Outcomes[o]))
	}
	fmt.Fprintf(w, "%-20s %s  (%d attempts, %d aborted)\n", "outcomes", strings.Join(oc, "  "), r.Attempts, r.Aborted)
	for _, o := range probe.Outcomes {
		if msg, ok := r.ErrorSamples[o]; ok {
			fmt.Fprintf(w, "  %s: %s\n", o, msg)
		}
	}
	fmt.Fprintf(w, "%-20s %d (%s)", "peak sessions", r.PeakSessions, r.PeakSource)
	if r.PeakSource == "server" {
		fmt.Fprintf(w, ", all client backends peaked at %d, left after close: %d", r.PeakServerBackends, r.LeftoverSessions)
	}
	fmt.Fprintln(w)
	if r.DeadlineReached {
		fmt.Fprintf(w, "deadline reached after %.1f s: %d instances unfinished\n", r.DurationSeconds, r.Unfinished)
	}
	if r.Interrupted {
		fmt.Fprintf(w, "interrupted after %.1f s: %d instances unfinished; every connection was closed\n", r.DurationSeconds, r.Unfinished)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func progressPrinter(w io.Writer, instances int) func(probe.Snapshot) {
	return func(s probe.Snapshot) {
		fmt.Fprintf(w, "\r%6.1fs  started %d/%d  ready %d  failed %d  open %d  attempts %d   ",
			s.Elapsed.Seconds(), s.Started, instances, s.Ready, s.Failed, s.Open, s.Attempts)
		if s.Started == instances && s.Ready+s.Failed == instances && s.Open == 0 {
			fmt.Fprintln(w)
		}
	}
}

// productionEnv is the environment whose database a storm must never hit
// without the explicit flag.
const productionEnv = "production"

// stackSettings is what a stack's config says about one workload's storm.
type stackSettings struct {
	workload           string
	environment        string
	instances          int
	startupConnections int
	connectTimeout     time.Duration
	backoff            probe.Backoff
	ramp               time.Duration
	targets            probe.Targets
}

// loadStack is a variable so tests can feed a stack without a file.
var loadStack = func(root, stack string) (config.Stack, error) {
	f, err := config.LoadFile(config.StackFile(root, stack))
	if err != nil {
		return config.Stack{}, err
	}
	return f.Stack, nil
}

// stackProbeSettings maps a stack's workload to a storm: the worst cold
// start is every instance up to maxInstances starting at once (rollout,
// regional failover, scale from zero), each opening its startup
// connections within the app's connect timeout.
func stackProbeSettings(root, stack, workload string) (stackSettings, error) {
	s, err := loadStack(root, stack)
	if err != nil {
		return stackSettings{}, fmt.Errorf("--stack %s: %w", stack, err)
	}
	var w *config.Workload
	switch {
	case workload != "":
		for i := range s.Workloads {
			if s.Workloads[i].Name == workload {
				w = &s.Workloads[i]
			}
		}
		if w == nil {
			var names []string
			for _, x := range s.Workloads {
				names = append(names, x.Name)
			}
			return stackSettings{}, fmt.Errorf("--workload: %q is not a workload of stack %s (have: %s)", workload, stack, strings.Join(names, ", "))
		}
	case len(s.Workloads) == 1:
		w = &s.Workloads[0]
	default:
		var names []string
		for _, x := range s.Workloads {
			names = append(names, x.Name)
		}
		return stackSettings{}, fmt.Errorf("--workload: required, stack %s has %d workloads (%s)", stack, len(s.Workloads), strings.Join(names, ", "))
	}
	model := s.CapacityAssumptions().WithDefaults()
	sc := stackSettings{
		workload:           w.Name,
		environment:        s.Environment,
		instances:          w.MaxInstances,
		startupConnections: w.DB.StartupConnections,
		connectTimeout:     seconds(w.DB.ConnectTimeoutSeconds),
		ramp:               seconds(model.RampSeconds),
		// The retry policy the plan assumes for this stack: its own
		// headroom:assumptions, else the model's defaults.
		backoff: probe.Backoff{
			Initial:    seconds(model.RetryInitialSeconds),
			Max:        seconds(model.RetryMaxSeconds),
			Multiplier: model.RetryMultiplier,
		},
		targets: probe.Targets{StartupSuccessRate: s.Targets.StartupSuccessRate, ConnectP99Seconds: s.Targets.ConnectP99Seconds},
	}
	if sc.instances == 0 {
		sc.instances = capacity.CloudRunDefaultMaxInstances
	}
	return sc, nil
}

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// applyStack sets every flag the user did not set from the stack; explicit
// flags win.
func applyStack(cmd *cobra.Command, f *probeFlags, sc stackSettings) {
	set := func(name string) bool { return !cmd.Flags().Changed(name) }
	if set("instances") && sc.instances > 0 {
		f.instances = sc.instances
	}
	if set("startup-connections") && sc.startupConnections > 0 {
		f.startupConnections = sc.startupConnections
	}
	if set("connect-timeout") && sc.connectTimeout > 0 {
		f.connectTimeout = sc.connectTimeout
	}
	if set("ramp") && sc.ramp > 0 {
		f.ramp = sc.ramp
	}
	if set("retry-initial") && sc.backoff.Initial > 0 {
		f.retryInitial = sc.backoff.Initial
	}
	if set("retry-max") && sc.backoff.Max > 0 {
		f.retryMax = sc.backoff.Max
	}
	if set("retry-multiplier") && sc.backoff.Multiplier > 0 {
		f.retryMultiplier = sc.backoff.Multiplier
	}
}
