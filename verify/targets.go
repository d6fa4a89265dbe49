package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/cmd/headroom/internal/verify"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/workloads"
)

func init() { register(newVerifyCmd) }

type verifyFlags struct {
	stack    string
	urls     []string
	paths    []string
	window   time.Duration
	interval time.Duration
	format   string
	out      string
	pulumi   string
	root     string
}

func (f *verifyFlags) bind(cmd *cobra.Command, prefix string) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.urls, prefix+"url", nil, "SERVICE=URL: check URL instead of the stack output serviceUrls[SERVICE] (repeatable)")
	fl.StringArrayVar(&f.paths, prefix+"path", nil, "health path for every service (/healthz) or SERVICE=/path (repeatable); default: the service's startup probe path, else /")
	fl.DurationVar(&f.window, prefix+"window", 0, "how long each service has to answer 200 (default: its startup probe window, initialDelay + period × failureThreshold)")
	fl.DurationVar(&f.interval, prefix+"interval", 2*time.Second, "time between attempts")
}

func newVerifyCmd() *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify --stack NAME [--url SERVICE=URL]... [--path PATH]... [--window D]",
		Short: "Post-deploy check: every service's health path answers HTTP 200 within its window",
		Long: `verify checks the post-mortem's criterion "E2E tests return HTTP 200" after a
deploy: it reads the stack's service URLs (stack output serviceUrls, through
the Automation API and the logged-in backend), then polls each service's
health path concurrently until it answers 200 or its window runs out.

The health path defaults to the workload's startup probe path
(headroom:workloads[].startupProbe.path), else /. The window defaults to the
service's startup probe window (initialDelay + period × failureThreshold),
the time Cloud Run itself gives an instance to start. Redirects are not
followed.

Exit codes: 0 every service answered 200, 1 at least one did not, 2 bad
input, 4 the stack's outputs could not be read.`,
		Example: `  headroom verify --stack staging
  headroom verify --stack staging --path /healthz --window 2m --format json
  headroom verify --stack staging --url netra-backend-us-central1=http://127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := checkFormat(f.format)
			if err != nil {
				return err
			}
			if format == formatMarkdown {
				return usageErrorf("--format %s: verify writes text or json", f.format)
			}
			root, err := projectRoot(f.root)
			if err != nil {
				return err
			}
			return runVerify(cmd, f, root, format)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.stack, "stack", "", "stack name (required): stacks/Pulumi.<NAME>.yaml")
	fl.StringVarP(&f.format, "format", "f", formatText, "report format: text or json")
	fl.StringVarP(&f.out, "out", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.pulumi, "pulumi", os.Getenv("HEADROOM_PULUMI"), "the Pulumi CLI to run (default: $HEADROOM_PULUMI, else pulumi on PATH)")
	fl.StringVar(&f.root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
	f.bind(cmd, "")
	return cmd
}

// stackOutputs reads a deployed stack's outputs through the Automation API
// (the stack must exist; nothing is created). Tests replace it.
var stackOutputs = func(ctx context.Context, pulumiBin, stack, root string) (map[string]any, error) {
	var opts []auto.LocalWorkspaceOption
	if pulumiBin != "" {
		if err := os.Setenv("PATH", filepath.Dir(pulumiBin)+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
			return nil, err
		}
		c, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{SkipVersionCheck: true})
		if err != nil {
			return nil, fmt.Errorf("pulumi CLI %s: %w", pulumiBin, err)
		}
		opts = append(opts, auto.Pulumi(c))
	}
	s, err := auto.SelectStackLocalSource(ctx, stack, root, opts...)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	for k, v := range outs {
		m[k] = v.Value
	}
	return m, nil
}

// parseAssignments parses repeated NAME=VALUE flags.
func parseAssignments(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" || val == "" {
			return nil, usageErrorf("--%s %q: want SERVICE=VALUE", flag, v)
		}
		if _, dup := out[k]; dup {
			return nil, usageErrorf("--%s: service %s given twice", flag, k)
		}
		out[k] = val
	}
	return out, nil
}

// verifyTargets resolves the services of a stack, their URLs, paths and
// windows. A failure to read the outputs is exit 4; bad flags exit 2.
func verifyTargets(ctx context.Context, f *verifyFlags, st config.Stack, root string) ([]verify.Target, error) {
	if f.interval <= 0 {
		return nil, usageErrorf("--interval %s: must be > 0", f.interval)
	}
	if f.window < 0 {
		return nil, usageErrorf("--window %s: must be ≥ 0", f.window)
	}
	urls, err := parseAssignments("url", f.urls)
	if err != nil {
		return nil, err
	}
	allPath := ""
	var perPath []string
	for _, p := range f.paths {
		if strings.HasPrefix(p, "/") {
			if allPath != "" {
				return nil, usageErrorf("--path %s: a path for every service was already given (%s)", p, allPath)
			}
			allPath = p
			continue
		}
		perPath = append(perPath, p)
	}
	paths, err := parseAssignments("path", perPath)
	if err != nil {
		return nil, err
	}
	var targets []verify.Target
	known := map[string]bool{}
	for _, w := range st.Workloads {
		for _, r := range w.Regions {
			svc := workloads.ServiceName(w.Name, r)
			known[svc] = true
			t := verify.Target{Service: svc, URL: urls[svc], Path: w.StartupProbe.Path, Window: f.window}
			if allPath != "" {
				t.Path = allPath
			}
			if p, ok := paths[svc]; ok {
				t.Path = p
			}
			if t.Path != "" && !strings.HasPrefix(t.Path, "/") {
				return nil, usageErrorf("--path %s=%s: the path must start with /", svc, t.Path)
			}
			if t.Window == 0 {
				p := w.StartupProbe
				t.Window = time.Duration(capacity.ProbeWindowSeconds(capacity.Probe{
					InitialDelaySeconds: p.InitialDelaySeconds, PeriodSeconds: p.PeriodSeconds,
					TimeoutSeconds: p.TimeoutSeconds, FailureThreshold: p.FailureThreshold,
				}) * float64(time.Second))
			}
			targets = append(targets, t)
		}
	}
	for _, m := range []struct {
		flag string
		vals map[string]string
	}{{"url", urls}, {"path", paths}} {
		for svc := range m.vals {
			if !known[svc] {
				names := make([]string, 0, len(known))
				for n := range known {
					names = append(names, n)
				}
				sort.Strings(names)
				return nil, usageErrorf("--%s %s=…: stack %s has no service %s (services: %s)", m.flag, svc, st.Name, svc, strings.Join(names, ", "))
			}
		}
	}
	for svc, u := range urls {
		if _, err := verify.JoinURL(u, "/"); err != nil {
			return nil, usageErrorf("--url %s=%s: %v", svc, u, err)
		}
	}
	missing := false
	for _, t := range targets {
		missing = missing || t.URL == ""
	}
	if missing {
		outs, err := stackOutputs(ctx, f.pulumi, st.Name, root)
		if err != nil {
			return nil, &exitError{Code: exitInternal, Err: fmt.Errorf("stack %s: reading outputs: %s", st.Name, oneLine(err.Error()))}
		}
		m, _ := outs[infra.OutputServiceURLs].(map[string]any)
		for i := range targets {
			if targets[i].URL == "" {
				if u, ok := m[targets[i].Service].(string); ok {
					targets[i].URL = u
				}
			}
		}
	}
	return targets, nil
}

func runVerify(cmd *cobra.Command, f *verifyFlags, root, format string) error {
	if f.stack == "" {
		return usageErrorf("--stack NAME is required")
	}
	path, err := stackFilePath(f.stack, "", root)
	if err != nil {
		return err
	}
	file, err := config.LoadFile(path)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	st := file.Stack
	st.Name = f.stack
	rep, err := verifyStack(cmd.Context(), f, st, root)
	if err != nil {
		return err
	}
	var w io.Writer = cmd.OutOrStdout()
	if f.out != "" {
		fh, err := os.Create(f.out)
		if err != nil {
			return usageErrorf("--out %s: %v", f.out, err)
		}
		defer fh.Close()
		w = fh
	}
	if err := writeVerify(w, rep, format); err != nil {
		return err
	}
	return verifyVerdict(rep)
}

func verifyStack(ctx context.Context, f *verifyFlags, st config.Stack, root string) (verify.Report, error) {
	targets, err := verifyTargets(ctx, f, st, root)
	if err != nil {
		return verify.Report{}, err
	}
	for i := range targets {
		if targets[i].URL == "" {
			// Not in the outputs: reported as a failed service below.
			targets[i].URL = "missing:"
		}
	}
	rep := verify.Run(ctx, st.Name, targets, verify.Options{Interval: f.interval})
	for i := range rep.Results {
		if rep.Results[i].URL == "missing:" {
			rep.Results[i].URL = ""
			rep.Results[i].LastError = "no URL in stack output " + infra.OutputServiceURLs + " (not deployed?)"
		}
	}
	return rep, nil
}

func verifyVerdict(rep verify.Report) error {
	if rep.Verdict == "pass" {
		return nil
	}
	var names []string
	for _, r := range rep.Results {
		if !r.OK {
			names = append(names, r.Service)
		}
	}
	return &exitError{Code: exitViolations, Err: fmt.Errorf("stack %s: %d service(s) did not answer HTTP 200 within their window: %s",
		rep.Stack, rep.Failed, strings.Join(names, ", "))}
}

func writeVerify(w io.Writer, rep verify.Report, format string) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "Headroom verify · stack %s · %s — %d/%d services answered HTTP 200 within their window\n\n",
		rep.Stack, strings.ToUpper(rep.Verdict), rep.Passed, rep.Passed+rep.Failed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SERVICE\tCHECKED\tRESULT\tREADY\tWINDOW\tATTEMPTS\tLAST")
	for _, r := range rep.Results {
		res, ready, last := "ok", fmt.Sprintf("%.1f s", r.ReadySeconds), "HTTP 200"
		if !r.OK {
			res, ready, last = "FAIL", "—", r.LastError
		}
		fmt.Fprintf(tw, "  %s\t%s%s\t%s\t%s\t%g s\t%d\t%s\n", r.Service, r.URL, r.Path, res, ready, r.WindowSeconds, r.Attempts, last)
	}
	return tw.Flush()
}

// verifyAfterUp is `headroom up --verify`: the deploy fails when a service
// does not answer 200 within its window. The report goes to stderr so the
// up report on stdout stays one document.
func verifyAfterUp(cmd *cobra.Command, f *verifyFlags, ls *loadedStack, root string) error {
	st := ls.file.Stack
	st.Name = ls.name
	f.stack = ls.name
	rep, err := verifyStack(cmd.Context(), f, st, root)
	if err != nil {
		return err
	}
	if err := writeVerify(cmd.ErrOrStderr(), rep, formatText); err != nil {
		return err
	}
	return verifyVerdict(rep)
}
