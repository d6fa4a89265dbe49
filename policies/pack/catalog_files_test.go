package pack

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// policyFile is the file that declares a policy: policy_<name>.go.
func policyFile(name string) string {
	return "policy_" + strings.ReplaceAll(name, "-", "_") + ".go"
}

// parsedPolicyFiles parses the package's policy_*.go files.
func parsedPolicyFiles(t *testing.T) (map[string]*ast.File, *token.FileSet) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("policy_*.go")
	require.NoError(t, err)
	out := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		require.NoError(t, err)
		out[p] = f
	}
	return out, fset
}

// policyLiterals returns the `policy{...}` composite literals of a file.
func policyLiterals(f *ast.File) []*ast.CompositeLit {
	var out []*ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		if cl, ok := n.(*ast.CompositeLit); ok {
			if id, ok := cl.Type.(*ast.Ident); ok && id.Name == "policy" {
				out = append(out, cl)
			}
		}
		return true
	})
	return out
}

// field returns the value of key in a keyed composite literal, nil if absent.
func litField(cl *ast.CompositeLit, key string) ast.Expr {
	for _, e := range cl.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
				return kv.Value
			}
		}
	}
	return nil
}

// funcFile is the base name of the file that defines fn.
func funcFile(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	file, _ := f.FileLine(f.Entry())
	return filepath.Base(file)
}

// One policy, one file: every policy of the catalog is declared, with its
// name constant and its check, in policy_<name>.go, and that file declares
// nothing but that policy; no other file declares a policy.
func TestOnePolicyOneFile(t *testing.T) {
	files, _ := parsedPolicyFiles(t)
	// No policy literal outside a policy file.
	others, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, p := range others {
		if strings.HasPrefix(p, "policy_") || strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		require.NoError(t, err)
		assert.Empty(t, policyLiterals(f), "%s declares a policy: move it to its own policy_<name>.go", p)
	}
	require.Len(t, files, len(catalog), "one policy_*.go file per catalog entry")
	seen := map[string]bool{}
	for _, p := range catalog {
		name := p.info.Name
		t.Run(name, func(t *testing.T) {
			file := policyFile(name)
			assert.False(t, seen[name], "listed twice in the catalog")
			seen[name] = true
			f, ok := files[file]
			require.True(t, ok, "%s must be declared in %s", name, file)
			lits := policyLiterals(f)
			require.Len(t, lits, 1, "%s declares exactly one policy", file)
			info, ok := litField(lits[0], "info").(*ast.CompositeLit)
			require.True(t, ok, "%s: info is a PolicyInfo literal", file)
			id, ok := litField(info, "Name").(*ast.Ident)
			require.True(t, ok, "%s: info.Name is the policy's name constant", file)
			assert.Equal(t, ast.Con, f.Scope.Lookup(id.Name).Kind, "%s: the name constant %s is declared in the policy's file", file, id.Name)
			switch p.info.Kind {
			case KindResource:
				require.NotNil(t, p.resource, "a resource policy has a resource check")
				assert.Nil(t, p.stack)
				assert.Equal(t, file, funcFile(p.resource), "the check lives in the policy's file")
			case KindStack:
				require.NotNil(t, p.stack, "a stack policy has a stack check")
				assert.Nil(t, p.resource)
				assert.Equal(t, file, funcFile(p.stack), "the check lives in the policy's file")
			default:
				t.Fatalf("kind %q", p.info.Kind)
			}
		})
	}
}

// allowedDigitTokens are names that contain digits but state no limit.
var allowedDigitTokens = []string{
	"0.0.0.0/0", // the any-address range, a name
	"IPv4",
	"ipv4Enabled", // a field's name
	"c4a-",        // a machine series in a tier pattern (db-c4a-highmem-*)
	"p99",         // a percentile's name (the target itself is config)
	"N4-",         // a machine series in a tier pattern (db-custom-N4-*)
}

// digitsOutsideConstants returns the string and number literals of expr
// that state a number: every number of a policy's description or
// remediation comes from a constant (capacity, contract), rendered with
// fmt, so a second copy cannot drift from the rule.
func digitsOutsideConstants(expr ast.Expr) []string {
	var out []string
	ast.Inspect(expr, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok {
			return true
		}
		switch lit.Kind {
		case token.INT, token.FLOAT:
			out = append(out, lit.Value)
		case token.STRING:
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				s = lit.Value
			}
			for _, tok := range allowedDigitTokens {
				s = strings.ReplaceAll(s, tok, "")
			}
			if strings.ContainsAny(s, "0123456789") {
				out = append(out, lit.Value)
			}
		}
		return true
	})
	return out
}

// The checker itself refuses a number written as prose, in a literal or
// as a literal argument, and accepts a constant and the allowed names.
func TestDigitsOutsideConstants(t *testing.T) {
	for src, bad := range map[string]bool{
		`"Widen the subnet (at least /26)."`:                                      true,
		`fmt.Sprintf("at least /%d", 26)`:                                         true,
		`"retainedBackups ≥ 7, " + "logRetentionDays"`:                            true,
		`fmt.Sprintf("at least /%d", capacity.DirectEgressMaxPrefixLength)`:       false,
		`"no public IPv4 address and no 0.0.0.0/0 network; connect p99 " + cis()`: false,
	} {
		expr, err := parser.ParseExpr(src)
		require.NoError(t, err)
		assert.Equal(t, bad, len(digitsOutsideConstants(expr)) > 0, src)
	}
}

func TestPolicyTextsTakeNumbersFromConstants(t *testing.T) {
	files, fset := parsedPolicyFiles(t)
	for file, f := range files {
		for _, lit := range policyLiterals(f) {
			for _, path := range [][2]string{{"info", "Description"}, {"meta", "Remediation"}} {
				outer, ok := litField(lit, path[0]).(*ast.CompositeLit)
				require.True(t, ok, "%s: %s is a literal", file, path[0])
				text := litField(outer, path[1])
				require.NotNil(t, text, "%s: %s.%s is set", file, path[0], path[1])
				for _, bad := range digitsOutsideConstants(text) {
					t.Errorf("%s: %s.%s states a number as prose (%s): render it from the capacity or contract constant",
						fset.Position(text.Pos()), path[0], path[1], bad)
				}
			}
		}
	}
	// Every rendered text is well formed.
	for _, p := range catalog {
		for _, s := range []string{p.info.Description, p.meta.Remediation} {
			assert.NotContains(t, s, "%!", "%s: a format verb without its argument", p.info.Name)
		}
	}
}

func TestOrList(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		assert.Equal(t, c.want, orList(c.in), "%v", c.in)
	}
}

// The rendered texts carry the constants' values (spot checks of the
// renderings the prose used to state).
func TestPolicyTextsRenderConstants(t *testing.T) {
	machines := capacity.ConnectorMachineNames()
	for name, want := range map[string][]string{
		PolicyDirectEgressIPs: {fmt.Sprintf("at least /%d", capacity.DirectEgressMaxPrefixLength),
			fmt.Sprintf("block of %d", capacity.DirectEgressIPBlock)},
		PolicyBuiltinConnCap:  {fmt.Sprintf("≤ %d per instance", capacity.BuiltinConnectionsPerInstance)},
		PolicyEgressHeadroom:  {"machineType " + machines[len(machines)-1] + ","},
		PolicyConnectorBounds: {"Use machineType " + orList(machines) + ","},
		PolicySQLMaxConnections: {fmt.Sprintf("from %d to %d", capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
			fmt.Sprintf("(%d× its default)", capacity.MaxConnectionsCeilingMultiple)},
		PolicySQLBackupsPITR: {fmt.Sprintf("retainedBackups ≥ %d", capacity.RetainedBackupsDefault)},
	} {
		info, ok := Lookup(name)
		require.True(t, ok, name)
		for _, w := range want {
			assert.Contains(t, info.Metadata().Remediation, w, name)
		}
	}
}
