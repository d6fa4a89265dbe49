package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/verify"
)

func init() { register(newVerifyCmd) }

type verifyFlags struct {
	stack  string
	format string
	out    string
	root   string
	verify.Settings
}

func (f *verifyFlags) bind(cmd *cobra.Command, prefix string) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.URLs, prefix+"url", nil, "SERVICE=URL: check URL instead of the stack output serviceUrls[SERVICE] (repeatable)")
	fl.StringArrayVar(&f.Paths, prefix+"path", nil, "health path for every service (/healthz) or SERVICE=/path (repeatable); default: the service's startup probe path, else /")
	fl.DurationVar(&f.Window, prefix+"window", 0, "how long each service has to answer 200 (default: its startup probe window, initialDelay + period × failureThreshold)")
	fl.DurationVar(&f.Interval, prefix+"interval", 2*time.Second, "time between attempts")
}

func newVerifyCmd() *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify --stack NAME [--url SERVICE=URL]... [--path PATH]... [--window D]",
		Short: "Post-deploy check: every service's health path answers HTTP 200 within its window",
		Long: `verify checks the post-mortem's criterion "E2E tests return HTTP 200" (docs/incident-1278.md) after a
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
			root, err := plan.ProjectRoot(f.root)
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
	fl.StringVar(&f.Pulumi, "pulumi", os.Getenv("HEADROOM_PULUMI"), "the Pulumi CLI to run (default: $HEADROOM_PULUMI, else pulumi on PATH)")
	fl.StringVar(&f.root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
	f.bind(cmd, "")
	return cmd
}

// stackOutputs reads a deployed stack's outputs; tests replace it.
var stackOutputs = verify.StackOutputs

func runVerify(cmd *cobra.Command, f *verifyFlags, root, format string) error {
	if f.stack == "" {
		return usageErrorf("--stack NAME is required")
	}
	path, err := plan.StackFile(f.stack, "", root)
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
	if err := verify.Write(w, rep, format == formatJSON); err != nil {
		return err
	}
	return verifyVerdict(rep)
}

// verifyStack is verify.Stack with the CLI's seams and exit codes.
func verifyStack(ctx context.Context, f *verifyFlags, st config.Stack, root string) (verify.Report, error) {
	s := f.Settings
	s.Outputs = stackOutputs
	rep, err := verify.Stack(ctx, s, st, root)
	var oe *verify.OutputsError
	if errors.As(err, &oe) {
		return rep, &exitError{Code: exitInternal, Err: err}
	}
	return rep, err
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

// verifyAfterUp is `headroom up --verify`: the deploy fails when a service
// does not answer 200 within its window. The report goes to stderr so the
// up report on stdout stays one document.
func verifyAfterUp(cmd *cobra.Command, f *verifyFlags, ls *plan.Stack, root string) error {
	st := ls.File.Stack
	st.Name = ls.Name
	f.stack = ls.Name
	rep, err := verifyStack(cmd.Context(), f, st, root)
	if err != nil {
		return err
	}
	if err := verify.Write(cmd.ErrOrStderr(), rep, false); err != nil {
		return err
	}
	return verifyVerdict(rep)
}
