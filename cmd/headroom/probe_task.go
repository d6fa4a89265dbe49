package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/probe"
)

// probeSubcommands are `headroom probe task` and `headroom probe merge`:
// the probe on Cloud Run Jobs (docs/probe.md "On Cloud Run Jobs").
func probeSubcommands() []*cobra.Command {
	return []*cobra.Command{newProbeTaskCmd(), newProbeMergeCmd()}
}

// processStart approximates the task's container start: the first moment
// the binary runs.
var processStart = time.Now()

// Environment of a probe task on Cloud Run (set by the probe job).
const (
	envDBHost = contract.EnvDBHost
	envDBUser = contract.EnvDBUser
	envDBName = contract.EnvDBName
	// envMetadataHost overrides the metadata server (the Google client
	// libraries' own variable), for tests.
	envMetadataHost = "GCE_METADATA_HOST"
)

type probeTaskFlags struct {
	probeFlags
	iamAuth bool
	egress  string
}

func newProbeTaskCmd() *cobra.Command {
	f := &probeTaskFlags{}
	cmd := &cobra.Command{
		Use:   "task",
		Short: "One task of the probe job: play starting instances and print one JSON line",
		Long: `task is what each task of the probe's Cloud Run job runs: it plays --instances
(default 1) starting instances — each opening --startup-connections connections
with the app's --connect-timeout and retry backoff — and prints ONE JSON line
(schema headroom.probe.task/v1) with its results and raw samples, including the
time from the task's start to its first successful connection. The task index
and count come from CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT, the run from
CLOUD_RUN_EXECUTION. Collect the lines (Cloud Logging, or files) and judge
them with headroom probe merge.

Without --dsn (or $` + envProbeDSN + `) the target is DB_HOST / DB_USER / DB_NAME,
the env contract of the workloads, with sslmode=require; --iam-auth uses the
job's service account's access token from the metadata server as the
password (Cloud SQL IAM database authentication).

Exit codes: 0 the line was printed (the criteria are judged by merge), 1 the
storm could not run, 2 bad input.`,
		Example: `  CLOUD_RUN_TASK_INDEX=0 CLOUD_RUN_TASK_COUNT=2 headroom probe task --dsn "$DSN" --startup-connections 2 --connect-timeout 75s
  headroom probe task --iam-auth --i-know-this-is-not-production --startup-connections 2 --connect-timeout 75s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runProbeTask(ctx, cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dsn, "dsn", "", "target PostgreSQL DSN (default $"+envProbeDSN+", else DB_HOST/DB_USER/DB_NAME)")
	fl.IntVar(&f.instances, "instances", 1, "instances this task plays")
	addStartupFlags(fl, &f.probeFlags)
	fl.DurationVar(&f.hold, "hold", 0, "how long a ready instance keeps its connections")
	fl.DurationVar(&f.deadline, "deadline", 5*time.Minute, "hard limit on the task's storm")
	fl.Float64Var(&f.targetSuccess, "target-success-rate", 0, "startup success target 0–1 carried to the merge (default "+defaultSuccessText+")")
	fl.DurationVar(&f.targetConnectP99, "target-connect-p99", 0, "connect p99 target carried to the merge (default "+defaultConnectP99Text+")")
	fl.BoolVar(&f.notProduction, "i-know-this-is-not-production", false, "allow a storm against a non-loopback host")
	fl.BoolVar(&f.iamAuth, "iam-auth", false, "use the metadata server's access token as the password (IAM database user)")
	fl.StringVar(&f.egress, "egress", "", "the VPC egress the task runs behind (connector or direct; recorded for calibrate --from-probe)")
	return cmd
}

// metadataToken fetches the default service account's access token from
// the metadata server.
func metadataToken(ctx context.Context) (string, error) {
	host := os.Getenv(envMetadataHost)
	if host == "" {
		host = "metadata.google.internal"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/computeMetadata/v1/instance/service-accounts/default/token", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Metadata-Flavor", "Google")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("metadata server: HTTP %d", resp.StatusCode)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("metadata server: no access token in the answer")
	}
	return tok.AccessToken, nil
}

// taskDSN is --dsn, $HEADROOM_PROBE_DSN, or the workloads' env contract.
func taskDSN(ctx context.Context, f *probeTaskFlags) (string, error) {
	if f.dsn == "" {
		f.dsn = os.Getenv(envProbeDSN)
	}
	if f.dsn != "" {
		if f.iamAuth {
			return "", usageErrorf("--iam-auth: only with DB_HOST/DB_USER/DB_NAME, not with --dsn")
		}
		return f.dsn, nil
	}
	host, user, name := os.Getenv(envDBHost), os.Getenv(envDBUser), os.Getenv(envDBName)
	if host == "" || user == "" {
		return "", usageErrorf("--dsn: required (or set $%s, or DB_HOST and DB_USER as the probe job does)", envProbeDSN)
	}
	if name == "" {
		name = "postgres"
	}
	u := url.URL{Scheme: "postgres", Host: host + ":5432", Path: "/" + name, RawQuery: "sslmode=require"}
	if f.iamAuth {
		tok, err := metadataToken(ctx)
		if err != nil {
			return "", fmt.Errorf("probe task: --iam-auth: %w", err)
		}
		u.User = url.UserPassword(user, tok)
	} else {
		u.User = url.User(user)
	}
	return u.String(), nil
}

func runProbeTask(ctx context.Context, cmd *cobra.Command, f *probeTaskFlags) error {
	idx, count, run, err := probe.TaskEnv(os.Getenv)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if f.egress != "" && f.egress != "connector" && f.egress != "direct" {
		return usageErrorf("--egress: want connector or direct, got %q", f.egress)
	}
	if f.targetSuccess < 0 || f.targetSuccess > 1 {
		return usageErrorf("--target-success-rate: expected 0–1, got %v", f.targetSuccess)
	}
	if f.targetConnectP99 < 0 {
		return usageErrorf("--target-connect-p99: must be ≥ 0, got %s", f.targetConnectP99)
	}
	dsn, err := taskDSN(ctx, f)
	if err != nil {
		return err
	}
	if err := probe.CheckTarget(dsn, f.notProduction); err != nil {
		return probeInputError(err, "--dsn")
	}
	cfg := probe.Config{
		DSN: dsn, Instances: f.instances, StartupConnections: f.startupConnections,
		ConnectTimeout: f.connectTimeout, AttemptTimeout: f.attemptTimeout,
		Backoff: probe.Backoff{Initial: f.retryInitial, Max: f.retryMax, Multiplier: f.retryMultiplier, Jitter: f.retryJitter},
		Hold:    f.hold, Deadline: f.deadline,
		// One tag per run: every task's sessions are the run's.
		ApplicationName: "headroom-probe-" + sanitizeTag(run),
	}
	if err := cfg.Validate(); err != nil {
		return probeInputError(err, "")
	}
	targets := probe.Targets{StartupSuccessRate: f.targetSuccess, ConnectP99Seconds: f.targetConnectP99.Seconds()}.WithDefaults()
	line, err := probe.RunTask(ctx, cfg, idx, count, run, processStart)
	if err != nil {
		return probeInputError(err, "")
	}
	settings := taskSettings(cfg, f.egress)
	if line.Settings, err = json.Marshal(settings); err != nil {
		return err
	}
	line.Targets = targets
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
	return err
}

// taskSettingsDoc is probeSettings plus the egress the task ran behind.
type taskSettingsDoc struct {
	probeSettings
	Egress string `json:"egress,omitempty"`
}

func taskSettings(cfg probe.Config, egress string) taskSettingsDoc {
	s := probeSettings{
		Instances: cfg.Instances, StartupConnections: cfg.StartupConnections,
		ConnectTimeoutSeconds: cfg.ConnectTimeout.Seconds(), AttemptTimeoutSeconds: cfg.AttemptTimeout.Seconds(),
		RetryInitialSeconds: cfg.Backoff.Initial.Seconds(), RetryMaxSeconds: cfg.Backoff.Max.Seconds(),
		RetryMultiplier: cfg.Backoff.Multiplier, RetryJitter: cfg.Backoff.Jitter,
		HoldSeconds: cfg.Hold.Seconds(), DeadlineSeconds: cfg.Deadline.Seconds(),
	}
	if cfg.AttemptTimeout == 0 || cfg.AttemptTimeout > cfg.ConnectTimeout {
		s.AttemptTimeoutSeconds = cfg.ConnectTimeout.Seconds()
	}
	return taskSettingsDoc{probeSettings: s, Egress: egress}
}

func sanitizeTag(s string) string {
	if s == "" {
		return probe.NewTag()
	}
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return out
}

// mergeOutput is `headroom probe`'s JSON plus the tasks behind it.
type mergeOutput struct {
	probeOutput
	Tasks probe.TaskSummary `json:"tasks"`
	// Egress is the VPC egress the tasks ran behind (their --egress).
	Egress string `json:"egress,omitempty"`
}

func newProbeMergeCmd() *cobra.Command {
	var format string
	var targetSuccess float64
	var targetP99 time.Duration
	cmd := &cobra.Command{
		Use:   "merge [FILE|-]...",
		Short: "Merge the probe job's task lines into one report, judged like headroom probe",
		Long: `merge reads the JSON lines of a probe job's tasks (files, or stdin when no file
or - is given; other lines are skipped) and reports them as one storm with the
same report, criteria and JSON as headroom probe, plus a tasks section: tasks
expected, received and missing (their instances count as failed) and the
time from a task's start to its first successful connection (the measured
VPC egress warm-up or connector scale-out).

Exit codes: 0 the targets are met, 1 not met, 2 bad input (no lines, lines of
different runs, tasks or settings).`,
		Example: `  gcloud logging read 'resource.type="cloud_run_job" AND jsonPayload.schema="headroom.probe.task/v1"' --format 'value(jsonPayload)' ...
  headroom probe merge task-*.jsonl --format json > merged.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: expected text or json, got %q", format)
			}
			var lines []probe.TaskLine
			if len(args) == 0 {
				args = []string{"-"}
			}
			for _, a := range args {
				var r io.Reader = cmd.InOrStdin()
				name := "stdin"
				if a != "-" {
					fh, err := os.Open(a)
					if err != nil {
						return usageErrorf("%s: %v", a, badinput.PathCause(err))
					}
					defer fh.Close()
					r, name = fh, a
				}
				ls, err := probe.ReadTaskLines(r, name)
				if err != nil {
					return usageErrorf("%s", oneLine(err.Error()))
				}
				lines = append(lines, ls...)
			}
			if len(lines) == 0 {
				return usageErrorf("%s: no task lines (schema %s)", strings.Join(args, ", "), probe.TaskSchema)
			}
			doc, err := mergeLines(lines, targetSuccess, targetP99)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(doc); err != nil {
					return err
				}
			} else {
				writeProbeText(out, &doc.probeOutput)
				t := doc.Tasks
				fmt.Fprintf(out, "\ntasks: %d of %d reported (run %s)", t.Received, t.Expected, t.Run)
				if len(t.Missing) > 0 {
					fmt.Fprintf(out, "; missing %v (counted as failed instances)", t.Missing)
				}
				fmt.Fprintln(out)
				fc := t.FirstConnect
				fmt.Fprintf(out, "task start → first connection: p50 %.3f s · p95 %.3f s · max %.3f s (n=%d; %d tasks never connected)\n",
					fc.P50, fc.P95, fc.Max, fc.Count, t.NeverConnected)
			}
			if !doc.Pass {
				return &exitError{Code: exitViolations, Err: errors.New("probe merge: targets not met")}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().Float64Var(&targetSuccess, "target-success-rate", 0, "override the tasks' startup success target (0–1)")
	cmd.Flags().DurationVar(&targetP99, "target-connect-p99", 0, "override the tasks' connect p99 target")
	return cmd
}

// mergeLines merges task lines into probe's document.
func mergeLines(lines []probe.TaskLine, targetSuccess float64, targetP99 time.Duration) (*mergeOutput, error) {
	if targetSuccess < 0 || targetSuccess > 1 {
		return nil, usageErrorf("--target-success-rate: expected 0–1, got %v", targetSuccess)
	}
	res, sum, err := probe.Merge(lines)
	if err != nil {
		return nil, usageErrorf("probe merge: %s", oneLine(err.Error()))
	}
	var settings taskSettingsDoc
	if len(lines[0].Settings) > 0 {
		if err := json.Unmarshal(lines[0].Settings, &settings); err != nil {
			return nil, usageErrorf("probe merge: task settings: %v", err)
		}
	}
	settings.Instances = res.Instances
	targets := lines[0].Targets
	if targetSuccess > 0 {
		targets.StartupSuccessRate = targetSuccess
	}
	if targetP99 > 0 {
		targets.ConnectP99Seconds = targetP99.Seconds()
	}
	targets = targets.WithDefaults()
	crit := probe.Evaluate(res, targets)
	if len(sum.Missing) > 0 {
		for i := range crit {
			if crit[i].Name == "startupSuccessRate" && crit[i].Note == "" {
				crit[i].Note = fmt.Sprintf("%d task(s) never reported; their instances count as failed", len(sum.Missing))
			}
		}
	}
	return &mergeOutput{
		probeOutput: probeOutput{Result: res, Settings: settings.probeSettings, Targets: targets, Criteria: crit, Pass: probe.Passed(crit)},
		Tasks:       sum,
		Egress:      settings.Egress,
	}, nil
}
