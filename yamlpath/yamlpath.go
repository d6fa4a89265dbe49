// Package yamlpath finds where a key of a YAML document is written: the line
// and column of its key node (yaml.v3 node positions), by a path of mapping
// keys and sequence indexes ("[2]").
package yamlpath

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is a parsed YAML document.
type Doc struct {
	root *yaml.Node
}

// Parse reads the first document of src.
func Parse(src []byte) (*Doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, err
	}
	d := &Doc{}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		d.root = n.Content[0]
	}
	return d, nil
}

// Find returns the 1-based line and column of the node at path: the key
// node of the last mapping key, or the item of the last sequence index.
func (d *Doc) Find(path ...string) (line, col int, ok bool) {
	if d == nil || d.root == nil || len(path) == 0 {
		return 0, 0, false
	}
	cur := d.root
	var at *yaml.Node
	for _, p := range path {
		if cur == nil {
			return 0, 0, false
		}
		if strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") {
			var i int
			if _, err := fmt.Sscanf(p, "[%d]", &i); err != nil || cur.Kind != yaml.SequenceNode || i < 0 || i >= len(cur.Content) {
				return 0, 0, false
			}
			at, cur = cur.Content[i], cur.Content[i]
			continue
		}
		if cur.Kind != yaml.MappingNode {
			return 0, 0, false
		}
		found := false
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == p {
				at, cur, found = cur.Content[i], cur.Content[i+1], true
				break
			}
		}
		if !found {
			return 0, 0, false
		}
	}
	if at.Line < 1 || at.Column < 1 {
		return 0, 0, false
	}
	return at.Line, at.Column, true
}
