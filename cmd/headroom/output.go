package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/report"
)

// Output formats of plan, up and drift.
const (
	formatText     = "text"
	formatMarkdown = "markdown"
	formatJSON     = "json"
)

// formatSARIF is plan's fourth format: the violations as SARIF 2.1.0 for
// code scanning (report.WriteSARIF).
const formatSARIF = "sarif"

func checkPlanFormat(f string) (string, error) {
	if strings.EqualFold(f, formatSARIF) {
		return formatSARIF, nil
	}
	if _, err := checkFormat(f); err != nil {
		return "", usageErrorf("--format %q: want text, markdown, json or sarif", f)
	}
	return checkFormat(f)
}

func checkFormat(f string) (string, error) {
	switch strings.ToLower(f) {
	case formatText, "":
		return formatText, nil
	case formatMarkdown, "md":
		return formatMarkdown, nil
	case formatJSON:
		return formatJSON, nil
	}
	return "", usageErrorf("--format %q: want text, markdown or json", f)
}

// colorEnabled: colors only on a terminal, never with --no-color or
// NO_COLOR (https://no-color.org).
func colorEnabled(cmd *cobra.Command, w io.Writer) bool {
	if fl := cmd.Flags().Lookup("no-color"); fl != nil && fl.Value.String() == "true" {
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// progressWriter is stderr when it is a terminal, else nil: CI logs and
// pipes get the report only.
func progressWriter(cmd *cobra.Command) io.Writer {
	if isTerminal(cmd.ErrOrStderr()) {
		return cmd.ErrOrStderr()
	}
	return nil
}

// createOut creates the --out file; a missing directory or a file that
// cannot be created is bad input (exit 2). The caller closes the file and
// reports the close error, which is where a full disk shows.
func createOut(out string) (*os.File, error) {
	if dir := filepath.Dir(out); dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return nil, usageErrorf("--out %s: directory %s does not exist", out, dir)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return nil, usageErrorf("--out %s: %v", out, err)
	}
	return f, nil
}

// writeReport renders r in format to --out (when set) or stdout.
func writeReport(cmd *cobra.Command, r report.Report, format, out string) error {
	var w io.Writer = cmd.OutOrStdout()
	color := colorEnabled(cmd, w)
	if out != "" {
		f, err := createOut(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w, color = f, false
	}
	var err error
	switch format {
	case formatMarkdown:
		err = report.Markdown(w, r, report.MarkdownOptions{})
	case formatJSON:
		err = report.JSON(w, r)
	default:
		err = report.Text(w, r, report.TextOptions{Color: color})
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if f, ok := w.(*os.File); ok && out != "" {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
	}
	return nil
}

func schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of the --format json output",
		Example: "  headroom schema > plan.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(report.SchemaJSON)
			return err
		},
	}
}

func init() { register(schemaCmd) }

// writeSARIF writes the plan as SARIF to --out or stdout, each result at
// the line of the stack-file key it concerns.
func writeSARIF(cmd *cobra.Command, r report.Report, ls *plan.Stack, out string) error {
	src, err := os.ReadFile(ls.File.Path)
	if err != nil {
		return usageErrorf("%s: %v", ls.File.Path, badinput.PathCause(err))
	}
	uri := filepath.ToSlash(ls.File.Path)
	if _, rel, err := plan.RepoPath(ls.File.Path); err == nil {
		uri = rel
	}
	var w io.Writer = cmd.OutOrStdout()
	var f *os.File
	if out != "" {
		if f, err = createOut(out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := report.WriteSARIF(w, r, ls.File, src, uri); err != nil {
		var se *report.SARIFSourceError
		if errors.As(err, &se) {
			return usageErrorf("%s: %v", ls.File.Path, se.Err)
		}
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}
