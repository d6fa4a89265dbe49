package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/probe"
)

// bindFromProbe adds calibrate --from-probe FILE: assumptions from a merged
// probe job run (headroom probe merge --format json) instead of a live
// measurement.
func bindFromProbe(cmd *cobra.Command) {
	var path string
	cmd.Flags().StringVar(&path, "from-probe", "", "derive the assumptions from a merged probe job run (headroom probe merge --format json output; - = stdin) instead of measuring")
	live := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if path == "" {
			return live(c, args)
		}
		out, _ := c.Flags().GetString("out")
		format, _ := c.Flags().GetString("format")
		return runCalibrateFromProbe(c, path, out, format)
	}
}

func runCalibrateFromProbe(cmd *cobra.Command, path, out, format string) error {
	if format != "text" && format != "json" {
		return usageErrorf("--format: expected text or json, got %q", format)
	}
	var r io.Reader = cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageErrorf("--from-probe %s: %v", path, badinput.PathCause(err))
		}
		defer f.Close()
		r = f
	}
	var doc struct {
		*probe.Result
		Egress string             `json:"egress"`
		Tasks  *probe.TaskSummary `json:"tasks"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return usageErrorf("--from-probe %s: not a merged probe run: %v", path, err)
	}
	if doc.Tasks == nil || doc.Result == nil {
		return usageErrorf("--from-probe %s: no tasks section; want the JSON of headroom probe merge --format json", path)
	}
	cal, err := probe.CalibrateFromMerged(doc.Result, *doc.Tasks, doc.Egress)
	if err != nil {
		return &exitError{Code: exitViolations, Err: fmt.Errorf("calibrate --from-probe %s: %w", path, err)}
	}
	y, err := cal.AssumptionsYAML()
	if err != nil {
		return err
	}
	if out != "" {
		if err := os.WriteFile(out, y, 0o644); err != nil {
			return usageErrorf("--out %s: %v", out, err)
		}
	}
	w := cmd.OutOrStdout()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cal)
	}
	fmt.Fprintf(w, "headroom calibrate --from-probe: run %s, %d tasks, egress %q\n", cal.Run, cal.Tasks, cal.Egress)
	fmt.Fprintf(w, "handshakeSeconds           %.6f  (median attempt latency during the storm, n=%d)\n", cal.HandshakeSeconds, cal.Attempts.Count)
	if cal.DirectEgressStartupSeconds >= 0 {
		fmt.Fprintf(w, "directEgressStartupSeconds %.6f  (p95 task start → first connection %.6f − handshake)\n", cal.DirectEgressStartupSeconds, cal.FirstConnect.P95)
	} else {
		fmt.Fprintln(w, "egress warm-up              not written: only measured behind Direct VPC egress (a connector's scale-out needs a storm that triggers one)")
	}
	if out != "" {
		fmt.Fprintf(w, "wrote %s\n", out)
	} else {
		fmt.Fprintf(w, "\n%s", y)
	}
	return nil
}
