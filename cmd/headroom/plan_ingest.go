package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
)

// `headroom plan --preview FILE` / `--state FILE`: the plan of a program in
// any language, from what the Pulumi CLI wrote about it (the JSON of
// `pulumi preview --json`, or `pulumi stack export`) instead of running our
// program under mocks. The parsing lives in package ingest; this file only
// wires it to the report.

// ingestFlags are plan's flags for foreign stacks.
type ingestFlags struct {
	preview string
	states  []string
}

func (f *ingestFlags) set() bool { return f.preview != "" || len(f.states) > 0 }

// runPlanIngest is plan's RunE for --preview/--state.
func runPlanIngest(cmd *cobra.Command, f *planFlags, format string) error {
	if f.stack != "" || f.configFile != "" {
		return usageErrorf("--preview/--state judge a stack from the Pulumi CLI's files: drop --stack and --config-file")
	}
	if f.ingest.preview != "" && len(f.ingest.states) > 0 {
		return usageErrorf("--preview and --state are mutually exclusive: a preview already carries the stack's planned state (repeat --state to judge several deployed stacks together)")
	}
	progress := progressWriter(cmd)
	st, pc, err := loadIngestedWithConfig(f.ingest, f.policyConfig)
	if err != nil {
		return err
	}
	r, err := planIngested(st, pc, progress)
	if err != nil {
		return err
	}
	switch {
	case format == formatSARIF:
		err = writeIngestSARIF(cmd, r, st, f.out)
	case f.diff.base != "":
		var base map[string]any
		var src report.DiffBase
		if base, src, err = ingestBase(f.diff.base, pc, r.Stack, progress); err == nil {
			doc, derr := report.ToDocument(r)
			if derr != nil {
				return fmt.Errorf("head plan as JSON: %w", derr)
			}
			r.Diff = report.Compare(base, doc, src)
			err = writeDiffReport(cmd, r, format, f.out, f.diff.commentWhen)
		}
	default:
		err = writeReport(cmd, r, format, f.out)
	}
	if err != nil {
		return err
	}
	return verdictError(r)
}

// loadIngested reads the files; several states are judged as one graph (a
// platform stack's database and the app stacks' services).
// loadIngestedWithConfig reads the --preview/--state files and the
// --policy-config file (the pack's defaults without one).
func loadIngestedWithConfig(f ingestFlags, policyConfig string) (*ingest.Stack, pack.Config, error) {
	st, err := loadIngested(f)
	if err != nil {
		return nil, pack.Config{}, err
	}
	pc := pack.DefaultConfig()
	if policyConfig != "" {
		if pc, err = readPolicyConfig(policyConfig); err != nil {
			return nil, pack.Config{}, err
		}
	}
	return st, pc, nil
}

func loadIngested(f ingestFlags) (*ingest.Stack, error) {
	if f.preview != "" {
		s, err := ingest.LoadAs(f.preview, ingest.KindPreview)
		if err != nil {
			return nil, usageErrorf("--preview %s", oneLine(err.Error()))
		}
		return s, nil
	}
	var stacks []*ingest.Stack
	for _, p := range f.states {
		s, err := ingest.LoadAs(p, ingest.KindState)
		if err != nil {
			return nil, usageErrorf("--state %s", oneLine(err.Error()))
		}
		stacks = append(stacks, s)
	}
	s, err := ingest.Merge(stacks...)
	if err != nil {
		return nil, usageErrorf("--state: %s", oneLine(err.Error()))
	}
	return s, nil
}

func readPolicyConfig(path string) (pack.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pack.Config{}, usageErrorf("--policy-config %s: %v", path, badinput.PathCause(err))
	}
	c, err := pack.ParseConfig(b)
	if err != nil {
		return pack.Config{}, usageErrorf("--policy-config %s: %s", path, oneLine(err.Error()))
	}
	return c, nil
}

// planIngested is planFull for resources read from a file: the same
// Evaluate, the same report, the cost priced from the resources.
func planIngested(st *ingest.Stack, pc pack.Config, progress io.Writer) (report.Report, error) {
	plan.Progressf(progress, "evaluating the policy pack on %d resources of %s (%s)", len(st.Resources), st.Source, st.Kind)
	o, err := plan.Resources(st.Name, st.Resources, pc)
	return o.Report, err
}

// ingestBase is --base for a foreign stack: another preview or state file
// (planned now, with the same policy config), or a saved JSON plan.
func ingestBase(arg string, pc pack.Config, stack string, progress io.Writer) (map[string]any, report.DiffBase, error) {
	src := report.DiffBase{Source: arg, Kind: "file"}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, src, usageErrorf("--base %s: %v (with --preview/--state the base is a preview, a state export or a JSON plan file)", arg, badinput.PathCause(err))
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, src, usageErrorf("--base %s: not JSON: %s", arg, oneLine(err.Error()))
	}
	_, steps := doc["steps"]
	_, dep := doc["deployment"]
	if !steps && !dep {
		d, err := report.ParseDocument(b)
		if err != nil {
			return nil, src, usageErrorf("--base %s: not a preview, a state export or a JSON plan: %s", arg, oneLine(err.Error()))
		}
		if s, _ := d["stack"].(string); s != stack {
			src.Note = fmt.Sprintf("the base plan is of stack %s", s)
		}
		return d, src, nil
	}
	st, err := ingest.Parse(arg, b)
	if err != nil {
		return nil, src, usageErrorf("--base %s", oneLine(err.Error()))
	}
	r, err := planIngested(st, pc, progress)
	if err != nil {
		return nil, src, err
	}
	if st.Name != stack {
		src.Note = fmt.Sprintf("the base is of stack %s", st.Name)
	}
	d, err := report.ToDocument(r)
	if err != nil {
		return nil, src, fmt.Errorf("base plan as JSON: %w", err)
	}
	return d, src, nil
}

// writeIngestSARIF writes the plan as SARIF located in the file judged:
// each result at the line of its resource's URN (the stack's first line for
// stack-level results), since there is no stack file.
func writeIngestSARIF(cmd *cobra.Command, r report.Report, st *ingest.Stack, out string) error {
	src, err := os.ReadFile(st.Source)
	if err != nil {
		return usageErrorf("%s: %v", st.Source, badinput.PathCause(err))
	}
	uri := filepath.ToSlash(st.Source)
	if _, rel, err := plan.RepoPath(st.Source); err == nil {
		uri = rel
	}
	var w io.Writer = cmd.OutOrStdout()
	var file *os.File
	if out != "" {
		if file, err = createOut(out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if err := report.WriteResourceSARIF(w, r, src, uri, string(st.Kind)); err != nil {
		return err
	}
	if file != nil {
		return file.Close()
	}
	return nil
}
