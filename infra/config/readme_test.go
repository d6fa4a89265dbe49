package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyPaths lists every key path of t that the README tables document,
// written their way: maps as ".<r>", lists of objects as "[i]".
func keyPaths(prefix string, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		path := prefix + name
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		// Objects are documented by their keys; lists and maps of objects
		// get a row of their own and one per key of their elements.
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, keyPaths(path+".", ft)...)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			out = append(out, path)
			out = append(out, keyPaths(path+".<r>.", ft.Elem())...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, path)
			out = append(out, keyPaths(path+"[i].", ft.Elem())...)
		default:
			out = append(out, path)
		}
	}
	return out
}

// TestReadmeDocumentsEveryKey keeps the README's config reference in step
// with the struct tree: a new key without a table row fails here.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	readme := string(data)
	paths := keyPaths("", reflect.TypeOf(Stack{}))
	require.Greater(t, len(paths), 50, "the walk found the tree")
	var missing []string
	for _, p := range paths {
		if p == "environment" {
			p = "headroom:environment"
		}
		if !strings.Contains(readme, "| `"+p+"` |") {
			missing = append(missing, p)
		}
	}
	assert.Empty(t, missing, "README config reference has no table row for these keys")
}

// TestConfigReferenceListsEveryTopLevelKey: docs/config-reference.md names
// every top-level key the decoder accepts (its sample and its key table),
// so a new section (as monitoring and probe were) is not left out.
func TestConfigReferenceListsEveryTopLevelKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "config-reference.md"))
	require.NoError(t, err)
	doc := string(data)
	assert.Contains(t, doc, "| `"+ProjectKey+"` |")
	for _, k := range topKeys {
		assert.Contains(t, doc, "| `"+Namespace+":"+k+"` |", "key table row")
		assert.Contains(t, doc, "  "+Namespace+":"+k+":", "sample")
	}
	// The decoder's fixed order of errors, as the reference states it
	// (lines rejoined).
	flat := strings.Join(strings.Fields(doc), " ")
	assert.Contains(t, flat, "then `"+strings.Join(topKeys, "`, `")+"`, each in document order", "error order lists every top-level key")
}
