// Package mdcheck asserts that rendered Markdown parses into real tables and
// a Mermaid chart. It is imported by tests only, so the CLI does not link
// goldmark or testify.
package mdcheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// Expect is what CheckMarkdown requires of a rendered report.
type Expect struct {
	// Tables is the minimum number of GFM tables.
	Tables int
	// Mermaid requires a ```mermaid block holding an xychart-beta.
	Mermaid bool
}

// Check parses md as GitHub-flavoured Markdown (goldmark with the
// GFM extensions, the CommonMark implementation GitHub's is compatible
// with) and asserts that it holds real tables — header and body rows with
// the same number of cells — and the Mermaid chart. A broken pipe or a
// missing blank line turns a table into a paragraph, which this catches.
// It lives outside _test.go so cmd/headroom's goldens use it too.
func Check(t testing.TB, md []byte, want Expect) {
	t.Helper()
	p := goldmark.New(goldmark.WithExtensions(extension.GFM))
	doc := p.Parser().Parse(text.NewReader(md))
	tables, mermaid := 0, 0
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *east.Table:
			tables++
			var cols int
			for row := n.FirstChild(); row != nil; row = row.NextSibling() {
				c := row.ChildCount()
				if cols == 0 {
					cols = c
				}
				assert.Equal(t, cols, c, "table %d: every row has the header's cell count", tables)
			}
			assert.Greater(t, n.ChildCount(), 1, "table %d has a body", tables)
		case *ast.FencedCodeBlock:
			if string(n.Language(md)) == "mermaid" {
				mermaid++
				var body strings.Builder
				for i := 0; i < n.Lines().Len(); i++ {
					seg := n.Lines().At(i)
					body.Write(seg.Value(md))
				}
				src := body.String()
				// Leading %%{init: …}%% directives configure the chart.
				for strings.HasPrefix(src, "%%{") {
					end := strings.Index(src, "}%%\n")
					require.GreaterOrEqual(t, end, 0, "unterminated mermaid directive: %q", src)
					src = src[end+len("}%%\n"):]
				}
				assert.True(t, strings.HasPrefix(src, "xychart-beta\n"), "mermaid block is an xychart-beta: %q", src)
				assert.Contains(t, src, "x-axis ")
				assert.Contains(t, src, "y-axis ")
				assert.Contains(t, src, "line [")
			}
		}
		return ast.WalkContinue, nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, tables, want.Tables, "Markdown tables")
	if want.Mermaid {
		assert.Equal(t, 1, mermaid, "one mermaid chart")
	}
}
