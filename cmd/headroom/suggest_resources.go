package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/suggest"
)

// `headroom suggest --preview FILE` / `--state FILE`: fixes of a program in
// any language, as property edits of its resources (there is no stack file
// to patch). The search lives in package suggest (resources.go); this file
// wires the flags, the same files and policy config as plan --preview.

// runSuggestIngest is suggest's RunE for --preview/--state.
func runSuggestIngest(cmd *cobra.Command, f *suggestFlags, format string) error {
	if f.stack != "" || f.configFile != "" {
		return usageErrorf("--preview/--state judge a stack from the Pulumi CLI's files: drop --stack and --config-file")
	}
	if f.ingest.preview != "" && len(f.ingest.states) > 0 {
		return usageErrorf("--preview and --state are mutually exclusive: a preview already carries the stack's planned state (repeat --state to judge several deployed stacks together)")
	}
	if format == formatPatch {
		return usageErrorf("--format patch: a plan from --preview/--state has no stack file to patch; its fixes are property edits (use --format text, markdown or json)")
	}
	st, pc, err := loadIngestedWithConfig(f.ingest, f.policyConfig)
	if err != nil {
		return err
	}
	files := f.ingest.states
	if f.ingest.preview != "" {
		files = []string{f.ingest.preview}
	}
	plan.Progressf(progressWriter(cmd), "judging %d resources of %s and searching fixes", len(st.Resources), strings.Join(files, ", "))
	r, err := suggest.SearchResources(cmd.Context(), resourcePlanner(st.Name, pc),
		suggest.ResourceStack{Name: st.Name, File: strings.Join(files, ", "), Resources: st.Resources},
		suggest.Options{MaxPlans: f.maxPlans})
	if err != nil {
		return fmt.Errorf("suggest: %w", err)
	}
	if err := writeSuggest(cmd, r, format, f.out); err != nil {
		return err
	}
	return suggestVerdict(r)
}

// resourcePlanner judges a resource list through plan --preview's pipeline.
func resourcePlanner(stack string, pc pack.Config) suggest.ResourcePlanner {
	return func(_ context.Context, rs []policyx.AnalyzerResource) (suggest.Outcome, error) {
		o, err := plan.Resources(stack, rs, pc)
		return suggest.Outcome{Report: o.Report, Capacity: o.Capacity}, err
	}
}
