// Package yamlpath is the one YAML walker and path convention of Headroom:
// a path is mapping keys joined by "." with sequence indexes in brackets,
// e.g. headroom:workloads[0].db.poolSize. SARIF locations (package report)
// and suggest's edits and their messages name keys this way, as config
// errors do. Find gives where a key is written: the line and column of its
// key node (yaml.v3 node positions).
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

// String renders a path of segments in the convention: keys joined by
// ".", an index segment ("[2]", or a bare "2") as "[2]" glued to its key.
func String(path ...string) string {
	var b strings.Builder
	for i, p := range path {
		if n, ok := Index(p); ok {
			fmt.Fprintf(&b, "[%d]", n)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Split is the inverse of String: "a.b[0].c" → ["a", "b", "[0]", "c"].
// Keys holding ".", "[" or "]" are not expressible (none of Headroom's are).
func Split(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" || rest == "" {
			out = append(out, key)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				out[len(out)-1] += "[" + rest
				break
			}
			out = append(out, "["+idx+"]")
			_, rest, _ = strings.Cut(after, "[")
		}
	}
	return out
}

// Index is the sequence index a segment names: "[2]" or a bare "2".
func Index(seg string) (int, bool) {
	s := seg
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
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
		if i, ok := Index(p); ok && cur.Kind == yaml.SequenceNode {
			if i >= len(cur.Content) {
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
