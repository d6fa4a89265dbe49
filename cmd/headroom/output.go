package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/cmd/headroom/internal/report"
)

// Output formats of plan, up and drift.
const (
	formatText     = "text"
	formatMarkdown = "markdown"
	formatJSON     = "json"
)

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

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "→ "+format+"\n", args...)
	}
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

// projectRoot is --root, or the nearest directory at or above the working
// directory that holds Pulumi.yaml.
func projectRoot(flag string) (string, error) {
	if flag != "" {
		if _, err := os.Stat(filepath.Join(flag, "Pulumi.yaml")); err != nil {
			return "", usageErrorf("--root %s: no Pulumi.yaml there", flag)
		}
		return flag, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", usageErrorf("no Pulumi.yaml in %s or above: run headroom inside the repository or pass --root", dir)
		}
	}
}

// knownStacks lists the stacks with a file under <root>/stacks.
func knownStacks(root string) []string {
	m, _ := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.yaml"))
	var out []string
	for _, p := range m {
		b := filepath.Base(p)
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(b, "Pulumi."), ".yaml"))
	}
	return out
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
