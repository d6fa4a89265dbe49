package suggest

import (
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Hunk is one changed region of the stack file as a GitHub suggestion: the
// original lines StartLine…EndLine (1-based, inclusive) are replaced by
// Suggestion. It is what a pull-request review comment needs (path,
// start_line, line, and a ```suggestion block as body).
type Hunk struct {
	Path       string `json:"path"`
	StartLine  int    `json:"startLine"`
	EndLine    int    `json:"endLine"`
	Suggestion string `json:"suggestion"`
}

// diff is the unified diff of the stack file (a/ and b/ prefixes, for
// `git apply`) and its hunks with one line of context, so every hunk —
// insertions included — covers at least one original line.
func diff(path string, before, after []byte) (string, []Hunk) {
	path = strings.TrimPrefix(path, "./")
	b, a := string(before), string(after)
	edits := udiff.Lines(b, a)
	text, err := udiff.ToUnified("a/"+path, "b/"+path, b, edits, udiff.DefaultContextLines)
	if err != nil {
		return "", nil
	}
	u, err := udiff.ToUnifiedDiff("a/"+path, "b/"+path, b, edits, 1)
	if err != nil {
		return text, nil
	}
	var hunks []Hunk
	for _, h := range u.Hunks {
		orig, repl := 0, []string{}
		for _, l := range h.Lines {
			switch l.Kind {
			case udiff.Equal:
				orig++
				repl = append(repl, strings.TrimSuffix(l.Content, "\n"))
			case udiff.Delete:
				orig++
			case udiff.Insert:
				repl = append(repl, strings.TrimSuffix(l.Content, "\n"))
			}
		}
		if orig == 0 {
			continue
		}
		hunks = append(hunks, Hunk{Path: path, StartLine: h.FromLine, EndLine: h.FromLine + orig - 1,
			Suggestion: strings.Join(repl, "\n")})
	}
	return text, hunks
}
