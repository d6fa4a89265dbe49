package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
)

// walledStrings are the contract's shared strings: the type tokens, the
// DB_* env names, the label and annotation names, the CIS flag names and
// the cross-stack export's type token and output key.
// contract.ManagedBy is a value ("headroom", also the project's name and
// config namespace), not a name, and is the one contract string left out.
func walledStrings() map[string]string {
	out := map[string]string{}
	add := func(kind string, ss []string) {
		for _, s := range ss {
			out[s] = kind
		}
	}
	add("type token", contract.Types())
	add("env name", contract.EnvNames())
	add("label/annotation name", contract.LabelNames())
	add("CIS flag name", contract.CISFlagNames())
	add("stack reference name", contract.StackRefNames())
	return out
}

// TestContractWalls fails when a contract string appears as a Go string
// literal in any non-test file outside contract/: every other side must
// refer to the contract's constant, so the program, the pack, the CLI and
// the fakes cannot drift apart.
func TestContractWalls(t *testing.T) {
	offences, err := contractOffences("..")
	require.NoError(t, err)
	assert.Empty(t, offences, "contract strings stated outside contract/")
}

// TestContractWallsSeeLiterals proves the scan can fail: a walled literal in
// a non-test file is reported (with a prefix-built consumer label), the same
// literal in a _test.go file or under contract/ is not.
func TestContractWallsSeeLiterals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, lit string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("package x\nconst a = "+strconv.Quote(lit)+"\n"), 0o644))
	}
	write("a.go", contract.EnvDBPoolSize)
	write("b.go", contract.ConsumerLabelPrefix+"psql")
	write("c_test.go", contract.TypeRunService)
	write("contract/d.go", contract.TypeRunService)
	write("e.go", "DB_POOL") // not a contract string
	offences, err := contractOffences(dir)
	require.NoError(t, err)
	require.Len(t, offences, 2, offences)
	assert.Contains(t, offences[0], "a.go")
	assert.Contains(t, offences[0], contract.EnvDBPoolSize)
	assert.Contains(t, offences[1], "b.go")
}

// contractOffences lists every walled literal in the non-test Go files
// under root, outside root/contract.
func contractOffences(root string) ([]string, error) {
	walled := walledStrings()
	var offences []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "vendor":
				return filepath.SkipDir
			}
			if rel, _ := filepath.Rel(root, path); rel == "contract" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for w, kind := range walled {
				// The consumer label prefix counts wherever a literal starts with it.
				if s == w || (w == contract.ConsumerLabelPrefix && strings.HasPrefix(s, w)) {
					offences = append(offences, fset.Position(lit.Pos()).String()+": "+kind+" "+strconv.Quote(w)+" (use the contract package's constant)")
				}
			}
			return true
		})
		return nil
	})
	slices.Sort(offences)
	return offences, err
}
