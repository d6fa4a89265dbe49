package verify

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

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
)

// Settings are the targets' overrides (the verify flags) and the source of
// the deployed stack's outputs.
type Settings struct {
	URLs     []string      // SERVICE=URL, repeatable (--url)
	Paths    []string      // /path for every service, or SERVICE=/path (--path)
	Window   time.Duration // 0: each service's startup probe window (--window)
	Interval time.Duration // between attempts (--interval)
	Pulumi   string        // the Pulumi CLI (--pulumi)
	// Outputs reads a deployed stack's outputs; nil is StackOutputs.
	Outputs func(ctx context.Context, pulumiBin, stack, root string) (map[string]any, error)
}

// OutputsError is a failure to read the deployed stack's outputs (the
// environment, not the input: exit 4).
type OutputsError struct{ Err error }

func (e *OutputsError) Error() string { return e.Err.Error() }
func (e *OutputsError) Unwrap() error { return e.Err }

// StackOutputs reads a deployed stack's outputs through the Automation API
// (the stack must exist; nothing is created).
func StackOutputs(ctx context.Context, pulumiBin, stack, root string) (map[string]any, error) {
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
			return nil, badinput.Errorf("--%s %q: want SERVICE=VALUE", flag, v)
		}
		if _, dup := out[k]; dup {
			return nil, badinput.Errorf("--%s: service %s given twice", flag, k)
		}
		out[k] = val
	}
	return out, nil
}

// Targets resolves the services of a stack, their URLs, paths and
// windows. A failure to read the outputs is exit 4; bad flags exit 2.
func Targets(ctx context.Context, f Settings, st config.Stack, root string) ([]Target, error) {
	if f.Interval <= 0 {
		return nil, badinput.Errorf("--interval %s: must be > 0", f.Interval)
	}
	if f.Window < 0 {
		return nil, badinput.Errorf("--window %s: must be ≥ 0", f.Window)
	}
	urls, err := parseAssignments("url", f.URLs)
	if err != nil {
		return nil, err
	}
	allPath := ""
	var perPath []string
	for _, p := range f.Paths {
		if strings.HasPrefix(p, "/") {
			if allPath != "" {
				return nil, badinput.Errorf("--path %s: a path for every service was already given (%s)", p, allPath)
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
	var targets []Target
	known := map[string]bool{}
	for _, w := range st.Workloads {
		for _, r := range w.Regions {
			svc := contract.ServiceName(w.Name, r)
			known[svc] = true
			t := Target{Service: svc, URL: urls[svc], Path: w.StartupProbe.Path, Window: f.Window}
			if allPath != "" {
				t.Path = allPath
			}
			if p, ok := paths[svc]; ok {
				t.Path = p
			}
			if t.Path != "" && !strings.HasPrefix(t.Path, "/") {
				return nil, badinput.Errorf("--path %s=%s: the path must start with /", svc, t.Path)
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
				return nil, badinput.Errorf("--%s %s=…: stack %s has no service %s (services: %s)", m.flag, svc, st.Name, svc, strings.Join(names, ", "))
			}
		}
	}
	for svc, u := range urls {
		if _, err := JoinURL(u, "/"); err != nil {
			return nil, badinput.Errorf("--url %s=%s: %v", svc, u, err)
		}
	}
	missing := false
	for _, t := range targets {
		missing = missing || t.URL == ""
	}
	if missing {
		read := f.Outputs
		if read == nil {
			read = StackOutputs
		}
		outs, err := read(ctx, f.Pulumi, st.Name, root)
		if err != nil {
			return nil, &OutputsError{Err: fmt.Errorf("stack %s: reading outputs: %s", st.Name, badinput.OneLine(err.Error()))}
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

// Stack checks every service of st: the targets resolved from the
// settings and the stack's outputs, polled until each answers 200 or its
// window runs out. A service with no URL is reported failed.
func Stack(ctx context.Context, f Settings, st config.Stack, root string) (Report, error) {
	targets, err := Targets(ctx, f, st, root)
	if err != nil {
		return Report{}, err
	}
	for i := range targets {
		if targets[i].URL == "" {
			// Not in the outputs: reported as a failed service below.
			targets[i].URL = "missing:"
		}
	}
	rep := Run(ctx, st.Name, targets, Options{Interval: f.Interval})
	for i := range rep.Results {
		if rep.Results[i].URL == "missing:" {
			rep.Results[i].URL = ""
			rep.Results[i].LastError = "no URL in stack output " + infra.OutputServiceURLs + " (not deployed?)"
		}
	}
	return rep, nil
}

// Write renders rep as text, or as JSON when asJSON.
func Write(w io.Writer, rep Report, asJSON bool) error {
	if asJSON {
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
