package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/cmd/headroom/internal/report"
	"github.com/headroom-dev/headroom/infra/config"
)

// diffFlags are the capacity-diff flags of `headroom plan`.
type diffFlags struct {
	base        string
	commentWhen string
}

func (d *diffFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&d.base, "base", "", "compare with a base: a git ref (the stack file at that ref, planned now) or a JSON plan file (headroom plan --format json)")
	fl.StringVar(&d.commentWhen, "comment-when", "", "with --base and --format markdown: write the comment only when "+
		"'changed' (anything differs), 'threshold' (verdict, a severity, a violation or a scenario changed) or 'always' (default)")
}

func (d *diffFlags) check(format string) error {
	switch d.commentWhen {
	case "", report.CommentAlways, report.CommentChanged, report.CommentThreshold:
	default:
		return usageErrorf("--comment-when %q: want changed, threshold or always", d.commentWhen)
	}
	if d.commentWhen != "" && d.base == "" {
		return usageErrorf("--comment-when needs --base REF_OR_FILE")
	}
	if d.commentWhen != "" && format != formatMarkdown {
		return usageErrorf("--comment-when applies to --format markdown (the JSON diff carries changed and thresholdCrossed)")
	}
	if d.base != "" && format == formatSARIF {
		return usageErrorf("--base does not apply to --format sarif (code scanning compares results itself)")
	}
	return nil
}

// planDiff plans the base and attaches the diff to the head's report.
func planDiff(ctx context.Context, f *planFlags, head *report.Report, ls *loadedStack, progress io.Writer) error {
	base, src, err := basePlan(ctx, f, ls, progress)
	if err != nil {
		return err
	}
	doc, err := report.ToDocument(*head)
	if err != nil {
		return fmt.Errorf("head plan as JSON: %w", err)
	}
	head.Diff = report.Compare(base, doc, src)
	return nil
}

// basePlan is the base as a JSON plan document. A base that has no stack
// file, or whose stack file does not load, is an empty plan with a note (a
// pull request may add a stack or fix a broken one).
func basePlan(ctx context.Context, f *planFlags, ls *loadedStack, progress io.Writer) (map[string]any, report.DiffBase, error) {
	arg := f.diff.base
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		src := report.DiffBase{Source: arg, Kind: "file"}
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, src, usageErrorf("--base %s: %v", arg, unwrapPath(err))
		}
		doc, err := report.ParseDocument(b)
		if err != nil {
			return nil, src, usageErrorf("--base %s: not a JSON plan: %s", arg, oneLine(err.Error()))
		}
		if s, _ := doc["stack"].(string); s != ls.name {
			src.Note = fmt.Sprintf("the base plan is of stack %s", s)
		}
		return doc, src, nil
	}
	src := report.DiffBase{Source: arg, Kind: "ref"}
	top, rel, err := repoPath(ls.file.Path)
	if err != nil {
		return nil, src, usageErrorf("--base %s: not a file, and %s is not in a git repository to read a ref from", arg, ls.file.Path)
	}
	if _, err := git(ctx, top, "rev-parse", "--verify", "--quiet", arg+"^{commit}"); err != nil {
		return nil, src, usageErrorf("--base %s: neither a file nor a git revision of %s", arg, top)
	}
	content, err := git(ctx, top, "show", arg+":"+rel)
	if err != nil {
		src.Note = fmt.Sprintf("no stack file %s at %s", rel, arg)
		return nil, src, nil
	}
	progressf(progress, "planning the base: %s at %s", rel, arg)
	dir, err := os.MkdirTemp("", "headroom-base-")
	if err != nil {
		return nil, src, fmt.Errorf("--base %s: temporary stack file: %w", arg, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(ls.file.Path))
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return nil, src, fmt.Errorf("--base %s: temporary stack file: %w", arg, err)
	}
	file, err := config.LoadFile(tmp)
	if err != nil {
		src.Note = "the base stack file does not load: " + strings.ReplaceAll(oneLine(err.Error()), tmp, arg+":"+rel)
		return nil, src, nil
	}
	pc, err := policyConfigFor(file.Stack, f.policyConfig)
	if err != nil {
		return nil, src, err
	}
	r, err := planLoaded(ctx, &loadedStack{file: file, name: ls.name, policy: pc}, progress)
	if err != nil {
		src.Note = "the base does not plan: " + strings.ReplaceAll(oneLine(err.Error()), tmp, arg+":"+rel)
		return nil, src, nil
	}
	doc, err := report.ToDocument(r)
	if err != nil {
		return nil, src, fmt.Errorf("base plan as JSON: %w", err)
	}
	return doc, src, nil
}

// repoPath is the git top level holding path and path relative to it
// (slash-separated, as `git show REF:path` wants it).
func repoPath(path string) (top, rel string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", "", err
	}
	out, err := git(context.Background(), filepath.Dir(abs), "rev-parse", "--show-toplevel")
	if err != nil {
		return "", "", err
	}
	top = strings.TrimSpace(string(out))
	if t, err := filepath.EvalSymlinks(top); err == nil {
		top = t
	}
	rel, err = filepath.Rel(top, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", "", fmt.Errorf("%s is outside %s", abs, top)
	}
	return top, filepath.ToSlash(rel), nil
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), oneLine(stderr.String()))
		}
		return nil, err
	}
	return out, nil
}

// writeDiffReport renders a report that carries a diff: the diff first,
// then the head's report (JSON: the head's report with its "diff" field).
// With --comment-when and nothing due, Markdown writes nothing at all and
// says so on stderr, so a workflow can skip the comment.
func writeDiffReport(cmd *cobra.Command, r report.Report, format, out, commentWhen string) error {
	if format == formatMarkdown && commentWhen != "" && !r.Diff.ShouldComment(commentWhen) {
		fmt.Fprintf(cmd.ErrOrStderr(), "headroom: stack %s: no comment (--comment-when %s): nothing %s against %s\n",
			r.Stack, commentWhen, map[string]string{report.CommentChanged: "changed", report.CommentThreshold: "crossed a threshold"}[commentWhen], r.Diff.Base.Source)
		if out != "" {
			// An empty file, so a stale comment from an earlier run is not reused.
			return os.WriteFile(out, nil, 0o644)
		}
		return nil
	}
	return writeReport(cmd, r, format, out)
}
