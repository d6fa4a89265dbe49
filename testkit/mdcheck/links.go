package mdcheck

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// BrokenLinks parses each Markdown file (paths relative to root) as
// GitHub-flavoured Markdown and returns one line per relative link or
// image whose target file does not exist under root, or whose #fragment
// names no heading (GitHub's anchor of it) or HTML id/name in the target.
// Absolute URLs (with a scheme) and mailto: are not checked.
func BrokenLinks(root string, files ...string) ([]string, error) {
	anchors := map[string]map[string]bool{} // file (slash, from root) → anchors
	var broken []string
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		for _, dest := range linkDestinations(src) {
			if msg := checkDest(root, f, dest, anchors); msg != "" {
				broken = append(broken, fmt.Sprintf("%s: %s", f, msg))
			}
		}
	}
	return broken, nil
}

// BrokenCitation checks one "path#fragment" citation (path relative to
// root, as code and stack files cite docs/…md#anchor); "" when it
// resolves.
func BrokenCitation(root, cite string) string {
	return checkDest(root, "", cite, map[string]map[string]bool{})
}

func linkDestinations(src []byte) []string {
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var out []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			out = append(out, string(n.Destination))
		case *ast.Image:
			out = append(out, string(n.Destination))
		}
		return ast.WalkContinue, nil
	})
	return out
}

// checkDest resolves dest as written in file from (slash path from root;
// "" for a root-relative citation).
func checkDest(root, from, dest string, cache map[string]map[string]bool) string {
	u, err := url.Parse(dest)
	if err != nil {
		return fmt.Sprintf("link %q: %v", dest, err)
	}
	if u.Scheme != "" || u.Host != "" {
		return "" // absolute URL: not ours to check offline
	}
	target := from
	if u.Path != "" {
		target = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(filepath.FromSlash(from)), filepath.FromSlash(u.Path))))
		if strings.HasPrefix(target, "../") || target == ".." {
			return fmt.Sprintf("link %q leaves the repository", dest)
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
			return fmt.Sprintf("link %q: no file %s", dest, target)
		}
	}
	if u.Fragment == "" {
		return ""
	}
	if !strings.HasSuffix(target, ".md") {
		return "" // a line anchor into code (#L10) and the like
	}
	as, ok := cache[target]
	if !ok {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(target)))
		if err != nil {
			return fmt.Sprintf("link %q: %v", dest, err)
		}
		as = Anchors(src)
		cache[target] = as
	}
	if !as[u.Fragment] {
		return fmt.Sprintf("link %q: %s has no heading or anchor #%s", dest, target, u.Fragment)
	}
	return ""
}

var htmlAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)

// Anchors lists the fragments a Markdown file answers to on GitHub: each
// heading's slug (lower case, punctuation dropped, spaces to hyphens, a
// repeated slug suffixed -1, -2, …) and every <a id/name="…">.
func Anchors(src []byte) map[string]bool {
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	out := map[string]bool{}
	seen := map[string]int{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			s := Slug(plainText(h, src))
			if k := seen[s]; k > 0 {
				out[fmt.Sprintf("%s-%d", s, k)] = true
			} else {
				out[s] = true
			}
			seen[s]++
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	for _, m := range htmlAnchor.FindAllSubmatch(src, -1) {
		out[string(m[1])] = true
	}
	return out
}

// plainText is a node's text as rendered (code spans and link texts
// included, markup dropped).
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML:
			// dropped, as GitHub's slugger sees only text
		default:
			b.WriteString(plainText(c, src))
		}
	}
	return b.String()
}

// Slug is GitHub's heading anchor: lower case; letters, digits, '-' and
// '_' kept; spaces become '-'; everything else dropped.
func Slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
