package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/deploy"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
)

func init() {
	register(newUpCmd)
	register(newDriftCmd)
}

// openStack is the Automation API seam; tests replace it with a fake.
var openStack = func(pulumiBin string) deploy.Opener { return deploy.AutoOpener(pulumiBin) }

// stdinConfirm is the interactive confirmation; nil when stdin is not a
// terminal (then --yes is required).
var stdinConfirm = func(cmd *cobra.Command) func(string) (bool, error) {
	if !isTerminal(os.Stdin) {
		return nil
	}
	return func(prompt string) (bool, error) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s [y/N] ", prompt)
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		a := strings.ToLower(strings.TrimSpace(line))
		return a == "y" || a == "yes", nil
	}
}

// defaultPolicyPack is the pack's directory in the repository.
const defaultPolicyPack = "policies"

type engineFlags struct {
	stack            string
	format           string
	out              string
	policyPack       string
	policyPackConfig string
	pulumi           string
	root             string
}

func (f *engineFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.stack, "stack", "", "stack name (required): stacks/Pulumi.<NAME>.yaml")
	fl.StringVarP(&f.format, "format", "f", formatText, "report format: text, markdown or json")
	fl.StringVarP(&f.out, "out", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.policyPack, "policy-pack", defaultPolicyPack, "the Headroom policy pack: its directory (PulumiPolicy.yaml) or a prebuilt binary (make policy-pack)")
	fl.StringVar(&f.policyPackConfig, "policy-pack-config", "", "a --policy-pack-config JSON file; default: generated from the stack's environment, targets and assumptions")
	fl.StringVar(&f.pulumi, "pulumi", os.Getenv("HEADROOM_PULUMI"), "the Pulumi CLI to run (default: $HEADROOM_PULUMI, else pulumi on PATH)")
	fl.StringVar(&f.root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
}

// prepare validates the flags and resolves the stack, its pack config and
// the policy-pack config file the engine gets. cleanup removes a generated
// config file.
func (f *engineFlags) prepare() (ls *plan.Stack, root, format string, pol deploy.Policy, cleanup func(), err error) {
	cleanup = func() {}
	if f.stack == "" {
		err = usageErrorf("--stack NAME is required")
		return
	}
	if format, err = checkFormat(f.format); err != nil {
		return
	}
	if root, err = plan.ProjectRoot(f.root); err != nil {
		return
	}
	if ls, err = plan.Load(f.stack, "", root, f.policyPackConfig); err != nil {
		return
	}
	pol = deploy.Policy{Pack: f.policyPack, Name: pack.Name, Config: f.policyPackConfig}
	// The default pack lives in the repository; a path the operator typed is
	// relative to the working directory. The engine runs in root, so both
	// become absolute.
	if f.policyPack == defaultPolicyPack {
		pol.Pack = filepath.Join(root, pol.Pack)
	} else if pol.Pack, err = filepath.Abs(pol.Pack); err != nil {
		return
	}
	if pol.Config != "" {
		if pol.Config, err = filepath.Abs(pol.Config); err != nil {
			return
		}
	}
	if pol.Config == "" {
		var path string
		path, err = writePolicyPackConfig(ls.Policy)
		if err != nil {
			return
		}
		pol.Config = path
		cleanup = func() { _ = os.Remove(path) }
	}
	return
}

func newUpCmd() *cobra.Command {
	f := &engineFlags{}
	var yes bool
	var planFile string
	var allowReplace []string
	var verifyAfter bool
	vf := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "up --stack NAME [--yes] [--plan-file PATH] [--allow-replace URN_OR_NAME]... [--verify]",
		Short: "Gated deploy: plan gate, preview with the policy pack, confirm, update",
		Long: `up deploys a stack only when it can carry its load:

  1. the offline plan (headroom plan) must have no mandatory violation;
  2. pulumi preview runs with the policy pack (--policy-pack) and saves an
     update plan (--save-plan); the engine's event stream — including the
     policy events that pulumi preview --json drops — becomes the same
     report as plan; if the pack did not run or no plan was saved, up
     fails closed;
  3. change safety: a preview that would replace or delete a stateful
     resource (Cloud SQL instance or database, VPC connector, network,
     Direct VPC egress subnet) is refused unless --allow-replace names it;
     the report lists such steps first;
  4. you confirm (or pass --yes; required when stdin is not a terminal);
  5. pulumi up runs with the same policy pack and config, constrained to
     the saved plan (--plan): the engine refuses any step the gated
     preview did not propose.

The plan is written to a temporary directory that is removed afterwards;
--plan-file PATH keeps a copy (it holds the stack config; mode 0600).

With --verify, headroom verify runs after the update (report on stderr) and
up fails (exit 1) when a service does not answer HTTP 200 within its window.

It needs the Pulumi CLI, a logged-in backend and cloud credentials.
Exit codes: 0 applied, 1 refused (gate, violations, change safety, not
confirmed), 2 bad input, 4 failure (engine or backend error, pack did not
run, no update plan); nothing is applied unless the update itself failed.`,
		Example: `  make policy-pack
  headroom up --stack staging --policy-pack policies/bin/headroom-policies
  headroom up --stack production --policy-pack policies/bin/headroom-policies --yes --format markdown --out deploy.md
  headroom up --stack staging --yes --allow-replace staging-connector   # accept the connector's replacement`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, root, format, pol, cleanup, err := f.prepare()
			defer cleanup()
			if err != nil {
				return err
			}
			progress := progressWriter(cmd)
			out, err := deploy.Up(cmd.Context(), openStack(f.pulumi), deploy.UpOptions{
				Stack: ls.Name, WorkDir: root, Policy: pol, Yes: yes, PlanFile: planFile,
				AllowReplace: deploy.AllowList(allowReplace),
				Confirm:      stdinConfirm(cmd),
				Progress:     progress,
				// The operator reads the preview on the terminal (stderr)
				// before answering; stdout keeps the final report.
				Review: func(r report.Report) {
					_ = report.Text(cmd.ErrOrStderr(), r, report.TextOptions{Color: colorEnabled(cmd, cmd.ErrOrStderr())})
				},
				Gate: func(ctx context.Context) (report.Report, error) {
					return plan.Report(ctx, ls, progress)
				},
			})
			if out.PlanFile != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "headroom: update plan kept at %s\n", out.PlanFile)
			}
			if err := finish(cmd, out, err, format, f.out); err != nil || !verifyAfter {
				return err
			}
			vf.Pulumi = f.pulumi
			return verifyAfterUp(cmd, vf, ls, root)
		},
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&verifyAfter, "verify", false, "after the update, run headroom verify (--verify-url/-path/-window/-interval tune it); fail when a service does not answer HTTP 200 within its window")
	vf.bind(cmd, "verify-")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "apply without asking for confirmation")
	cmd.Flags().StringVar(&planFile, "plan-file", "", "also keep the update plan the preview saved and the update was constrained to at PATH (default: a temporary file, removed)")
	addAllowReplaceFlag(cmd, &allowReplace)
	return cmd
}

func newDriftCmd() *cobra.Command {
	f := &engineFlags{}
	cmd := &cobra.Command{
		Use:   "drift --stack NAME",
		Short: "Drift check: refresh --preview-only, then preview --expect-no-changes with the policy pack",
		Long: `drift compares the cloud with the recorded state (pulumi refresh --preview-only)
and the program with the refreshed state (pulumi preview --refresh
--expect-no-changes, with the policy pack). It changes nothing.

Exit codes: 0 clean, 3 drift found (the report lists what drifted),
1 mandatory violations on the refreshed state, 2 bad input, 4 engine error
or the pack did not run.`,
		Example: `  headroom drift --stack production --policy-pack policies/bin/headroom-policies
  headroom drift --stack staging --format markdown --out drift.md || test $? -eq 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, root, format, pol, cleanup, err := f.prepare()
			defer cleanup()
			if err != nil {
				return err
			}
			out, err := deploy.Drift(cmd.Context(), openStack(f.pulumi), deploy.DriftOptions{
				Stack: ls.Name, Environment: string(ls.Policy.Env()), WorkDir: root, Policy: pol,
				Progress: progressWriter(cmd),
			})
			return finish(cmd, out, err, format, f.out)
		},
	}
	f.bind(cmd)
	return cmd
}

// finish writes the outcome's report (when there is one) and maps the
// outcome to the exit code.
func finish(cmd *cobra.Command, out deploy.Outcome, err error, format, path string) error {
	if out.Report.Kind != "" {
		if werr := writeReport(cmd, out.Report, format, path); werr != nil {
			return werr
		}
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		// An error is the tool failing (engine, files), not the gate
		// refusing: exit 4, unless it is bad input.
		code := exitInternal
		if errors.Is(err, deploy.ErrUsage) {
			code = exitUsage
			err = errors.New(strings.TrimPrefix(err.Error(), deploy.ErrUsage.Error()+": "))
		}
		return &exitError{Code: code, Err: err}
	}
	if out.Code != exitOK {
		return &exitError{Code: out.Code, Err: fmt.Errorf("stack %s: %s", out.Report.Stack, out.Reason)}
	}
	if out.Applied {
		fmt.Fprintf(cmd.ErrOrStderr(), "headroom: stack %s updated\n", out.Report.Stack)
	}
	return nil
}

// writePolicyPackConfig writes cfg as a --policy-pack-config file in the
// form pack.ParseConfig reads: the shared model settings under the
// capacity-model policy, and each level override under its policy.
func writePolicyPackConfig(cfg pack.Config) (string, error) {
	b, err := policyPackConfigJSON(cfg)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "headroom-policy-config-*.json")
	if err != nil {
		return "", fmt.Errorf("policy-pack config: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return "", fmt.Errorf("policy-pack config: %w", err)
	}
	return f.Name(), f.Close()
}

func policyPackConfigJSON(cfg pack.Config) ([]byte, error) {
	model := map[string]any{"environment": string(cfg.Env())}
	// Zero means "model default" and the pack rejects explicit zeros for
	// some keys, so only set values are written.
	put := func(m map[string]any, k string, v float64) {
		if v != 0 {
			m[k] = v
		}
	}
	t := map[string]any{}
	put(t, "startupSuccessRate", cfg.Targets.StartupSuccessRate)
	put(t, "connectP99Seconds", cfg.Targets.ConnectP99Seconds)
	put(t, "connectionUtilization", cfg.Targets.ConnectionUtilization)
	if len(t) > 0 {
		model["targets"] = t
	}
	a := map[string]any{}
	as := cfg.Assumptions
	put(a, "connectorScaleOutSeconds", as.ConnectorScaleOutSeconds)
	put(a, "directEgressStartupSeconds", as.DirectEgressStartupSeconds)
	put(a, "acceptRatePerSecond", as.AcceptRatePerSecond)
	put(a, "handshakeSeconds", as.HandshakeSeconds)
	put(a, "retryInitialSeconds", as.RetryInitialSeconds)
	put(a, "retryMaxSeconds", as.RetryMaxSeconds)
	put(a, "retryMultiplier", as.RetryMultiplier)
	put(a, "reservedConnections", float64(as.ReservedConnections))
	put(a, "adminSlackConnections", float64(as.AdminSlackConnections))
	put(a, "rampSeconds", as.RampSeconds)
	put(a, "seed", float64(as.Seed))
	put(a, "acceptRatePerVCPU", as.AcceptRatePerVCPU)
	put(a, "revisionLingerSeconds", as.RevisionLingerSeconds)
	put(a, "maxInstanceOvershoot", as.MaxInstanceOvershoot)
	if len(a) > 0 {
		model["assumptions"] = a
	}
	top := map[string]any{}
	for name, level := range cfg.Levels {
		top[name] = level
	}
	if l, ok := cfg.Levels[pack.PolicyCapacityModel]; ok {
		model["enforcementLevel"] = l
	}
	top[pack.PolicyCapacityModel] = model
	return json.MarshalIndent(top, "", "  ")
}

func newPolicyConfigCmd() *cobra.Command {
	var stack, root, out string
	cmd := &cobra.Command{
		Use:   "policy-config --stack NAME",
		Short: "Print the --policy-pack-config JSON a stack implies (environment, targets, assumptions)",
		Long: `policy-config writes the policy-pack config that plan, up and drift use for a
stack, for running the pack with the plain Pulumi CLI (CI, pulumi/actions):

  pulumi up --policy-pack policies/bin/headroom-policies --policy-pack-config <file>`,
		Example: `  headroom policy-config --stack production --out policy-config.production.json
  pulumi preview --stack production --policy-pack policies/bin/headroom-policies \
    --policy-pack-config policy-config.production.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stack == "" {
				return usageErrorf("--stack NAME is required")
			}
			r, err := plan.ProjectRoot(root)
			if err != nil {
				return err
			}
			ls, err := plan.Load(stack, "", r, "")
			if err != nil {
				return err
			}
			b, err := policyPackConfigJSON(ls.Policy)
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return usageErrorf("--out %s: %v", out, badinput.PathCause(err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&stack, "stack", "", "stack name (required)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
	return cmd
}

func init() { register(newPolicyConfigCmd) }
