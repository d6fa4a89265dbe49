package plan

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

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/report"
)

// Diff plans base (--base: a git ref, or a JSON plan file) and attaches
// the capacity diff against it to head, the report of s. policyConfig is
// --policy-config (empty: the base stack's own settings).
func Diff(ctx context.Context, base, policyConfig string, head *report.Report, s *Stack, progress io.Writer) error {
	doc0, src, err := basePlan(ctx, base, policyConfig, s, progress)
	if err != nil {
		return err
	}
	doc, err := report.ToDocument(*head)
	if err != nil {
		return fmt.Errorf("head plan as JSON: %w", err)
	}
	head.Diff = report.Compare(doc0, doc, src)
	return nil
}

// basePlan is the base as a JSON plan document. A base that has no stack
// file, or whose stack file does not load, is an empty plan with a note (a
// pull request may add a stack or fix a broken one).
func basePlan(ctx context.Context, arg, policyConfig string, ls *Stack, progress io.Writer) (map[string]any, report.DiffBase, error) {
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		src := report.DiffBase{Source: arg, Kind: "file"}
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, src, badinput.Errorf("--base %s: %v", arg, badinput.PathCause(err))
		}
		doc, err := report.ParseDocument(b)
		if err != nil {
			return nil, src, badinput.Errorf("--base %s: not a JSON plan: %s", arg, badinput.OneLine(err.Error()))
		}
		if s, _ := doc["stack"].(string); s != ls.Name {
			src.Note = fmt.Sprintf("the base plan is of stack %s", s)
		}
		return doc, src, nil
	}
	src := report.DiffBase{Source: arg, Kind: "ref"}
	top, rel, err := RepoPath(ls.File.Path)
	if err != nil {
		return nil, src, badinput.Errorf("--base %s: not a file, and %s is not in a git repository to read a ref from", arg, ls.File.Path)
	}
	if _, err := git(ctx, top, "rev-parse", "--verify", "--quiet", arg+"^{commit}"); err != nil {
		return nil, src, badinput.Errorf("--base %s: neither a file nor a git revision of %s", arg, top)
	}
	content, err := git(ctx, top, "show", arg+":"+rel)
	if err != nil {
		src.Note = fmt.Sprintf("no stack file %s at %s", rel, arg)
		return nil, src, nil
	}
	Progressf(progress, "planning the base: %s at %s", rel, arg)
	dir, err := os.MkdirTemp("", "headroom-base-")
	if err != nil {
		return nil, src, fmt.Errorf("--base %s: temporary stack file: %w", arg, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(ls.File.Path))
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return nil, src, fmt.Errorf("--base %s: temporary stack file: %w", arg, err)
	}
	file, err := config.LoadFile(tmp)
	if err != nil {
		src.Note = "the base stack file does not load: " + strings.ReplaceAll(badinput.OneLine(err.Error()), tmp, arg+":"+rel)
		return nil, src, nil
	}
	pc, err := PolicyConfigFor(file.Stack, policyConfig)
	if err != nil {
		return nil, src, err
	}
	r, err := Report(ctx, &Stack{File: file, Name: ls.Name, Policy: pc}, progress)
	if err != nil {
		src.Note = "the base does not plan: " + strings.ReplaceAll(badinput.OneLine(err.Error()), tmp, arg+":"+rel)
		return nil, src, nil
	}
	doc, err := report.ToDocument(r)
	if err != nil {
		return nil, src, fmt.Errorf("base plan as JSON: %w", err)
	}
	return doc, src, nil
}

// RepoPath is the git top level holding path and path relative to it
// (slash-separated, as `git show REF:path` wants it).
func RepoPath(path string) (top, rel string, err error) {
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
			return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), badinput.OneLine(stderr.String()))
		}
		return nil, err
	}
	return out, nil
}
