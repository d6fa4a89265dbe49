package tests

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const yamlV3 = "gopkg.in/yaml.v3"

// yamlImporters are the non-test files outside yamlpath/ allowed to import
// yaml.v3, and why. None of them walks a document to find a key: package
// yamlpath is the one walker and path convention.
var yamlImporters = map[string]string{
	"infra/config/load.go":           "converts the stack file's YAML to the engine's JSON values (tags, anchors, secure values); its paths are yamlpath's, errors are located by yamlpath",
	"suggest/yamledit.go":            "edits the text at the nodes yamlpath finds, reading their style and position",
	"probe/calibrate.go":             "writes the calibration file as a YAML document with comments",
	"probe/merge_calibrate.go":       "writes the merged calibration file as a YAML document with comments",
	"testkit/enginetest/programs.go": "marshals a test program's Pulumi.yaml",
}

// yamlWalkers are the files outside yamlpath/ allowed to read a node's
// children (Content, Alias), and why.
var yamlWalkers = map[string]string{
	"infra/config/load.go": "the converter visits every node once to build the engine's values; it looks nothing up",
}

// yamlOffences lists, under root, the non-test Go files outside yamlpath/
// that import yaml.v3 without being allowed, or walk nodes (index, range
// over or take the length of a node's Content, or read its Alias) without
// being allowed.
func yamlOffences(root string, importers, walkers map[string]string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "yamlpath" || rel == "tests" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		imports := false
		for _, im := range f.Imports {
			if v, _ := strconv.Unquote(im.Path.Value); v == yamlV3 {
				imports = true
			}
		}
		if !imports {
			return nil
		}
		if _, ok := importers[rel]; !ok {
			out = append(out, rel+": imports "+yamlV3)
		}
		if _, ok := walkers[rel]; ok {
			return nil
		}
		isChildren := func(e ast.Expr) bool {
			s, ok := e.(*ast.SelectorExpr)
			return ok && s.Sel.Name == "Content"
		}
		ast.Inspect(f, func(n ast.Node) bool {
			walk := false
			switch x := n.(type) {
			case *ast.IndexExpr:
				walk = isChildren(x.X)
			case *ast.SliceExpr:
				walk = isChildren(x.X)
			case *ast.RangeStmt:
				walk = isChildren(x.X)
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "len" && len(x.Args) == 1 {
					walk = isChildren(x.Args[0])
				}
			case *ast.SelectorExpr:
				walk = x.Sel.Name == "Alias"
			}
			if walk {
				out = append(out, fmt.Sprintf("%s:%d: walks YAML nodes", rel, fset.Position(n.Pos()).Line))
			}
			return true
		})
		return nil
	})
	sort.Strings(out)
	return out, err
}

// TestOneYAMLWalker: only yamlpath/ walks YAML documents (config errors,
// SARIF locations and suggest's edits all find keys through it); the few
// other users of yaml.v3 are listed with their reason.
func TestOneYAMLWalker(t *testing.T) {
	offences, err := yamlOffences("..", yamlImporters, yamlWalkers)
	require.NoError(t, err)
	assert.Empty(t, offences, "YAML walked or imported outside yamlpath/")
	for f := range yamlImporters {
		_, err := os.Stat(filepath.Join("..", f))
		assert.NoError(t, err, "%s is allowed to import yaml.v3 but does not exist", f)
	}
}

// TestYAMLWallsSeeWalkers proves the scan can fail: an unlisted importer
// and a listed importer that walks Content are reported; a test file and
// a builder that only appends are not.
func TestYAMLWallsSeeWalkers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("package x\n\nimport \"gopkg.in/yaml.v3\"\n\n"+body), 0o644))
	}
	write("a/unlisted.go", "var _ yaml.Node\n")
	write("b/walker.go", "func f(n *yaml.Node) string { return n.Content[0].Value }\n")
	write("c/ranger.go", "func f(n *yaml.Node) { for range n.Content {} }\n")
	write("d/builder.go", "func f(m *yaml.Node) { m.Content = append(m.Content, &yaml.Node{}) }\n")
	write("e/alias.go", "func f(n *yaml.Node) *yaml.Node { return n.Alias }\n")
	write("b/walker_test.go", "func g(n *yaml.Node) string { return n.Content[0].Value }\n")
	write("yamlpath/walk.go", "func f(n *yaml.Node) string { return n.Content[0].Value }\n")
	allowed := map[string]string{"b/walker.go": "", "c/ranger.go": "", "d/builder.go": "", "e/alias.go": ""}
	offences, err := yamlOffences(dir, allowed, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"a/unlisted.go: imports " + yamlV3,
		"b/walker.go:5: walks YAML nodes",
		"c/ranger.go:5: walks YAML nodes",
		"e/alias.go:5: walks YAML nodes",
	}, offences)
}
