package suggest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/yamlpath"
)

// This file edits a stack file in place, keeping its comments and layout:
// the YAML is parsed with yaml.v3 only to locate nodes (line and column);
// the edit itself replaces one scalar token, inserts lines at the indent of
// their siblings, or deletes a key's lines. Every edit re-parses the text,
// so edits compose without tracking offsets.

// Op is one edit of a stack file. Path is a config path under `config:`
// in yamlpath's segments, e.g. ["headroom:database", "maxConnections"] or
// ["headroom:workloads", "0", "db", "poolSize"] (an index as "0" or "[0]";
// messages name it headroom:workloads[0].db.poolSize); a path's first
// element also matches the key without its namespace.
type Op struct {
	Path []string
	// Value is the new scalar, or a flow-style YAML value (e.g. a flow
	// sequence) when Flow is set; empty with Delete removes the key.
	Value  string
	Flow   bool
	Delete bool
}

// Apply applies ops in order to a stack file's text.
func Apply(src []byte, ops []Op) ([]byte, error) {
	out := src
	for _, op := range ops {
		next, err := applyOne(out, op)
		if err == nil {
			// An edit never leaves a file YAML cannot read (e.g. a key
			// that duplicates another once resolved).
			var n yaml.Node
			if yerr := yaml.Unmarshal(next, &n); yerr != nil {
				err = fmt.Errorf("the edit would break the YAML: %v", yerr)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", yamlpath.String(op.Path...), err)
		}
		out = next
	}
	return out, nil
}

type doc struct {
	lines []string // without their newline
	final bool     // the text ended with a newline
}

func split(src []byte) doc {
	s := string(src)
	final := strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	return doc{lines: strings.Split(s, "\n"), final: final}
}

func (d doc) bytes() []byte {
	s := strings.Join(d.lines, "\n")
	if d.final {
		s += "\n"
	}
	return []byte(s)
}

// keyPattern is what a path segment may be: a plain YAML key or an index.
var keyPattern = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.:/-]*|\[[0-9]+\])$`)

func applyOne(src []byte, op Op) ([]byte, error) {
	if len(op.Path) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	for _, seg := range op.Path {
		if !keyPattern.MatchString(seg) {
			return nil, fmt.Errorf("path segment %q: want a plain key or an index", seg)
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, fmt.Errorf("not a YAML document")
	}
	cfg := mapValue(root.Content[0], "config")
	if cfg == nil {
		return nil, fmt.Errorf("no config: mapping")
	}
	d := split(src)
	parent := cfg
	for i, seg := range op.Path {
		last := i == len(op.Path)-1
		switch parent.Kind {
		case yaml.MappingNode:
			k, v := mapEntry(parent, seg, i == 0)
			if v == nil {
				if op.Delete {
					return src, nil // nothing to delete
				}
				// Insert the rest of the path as new keys.
				return insertKeys(d, parent, op.Path[i:], op.Value)
			}
			if last {
				switch {
				case op.Delete:
					return deleteKey(d, parent, k, v)
				case op.Flow && v.Kind != yaml.ScalarNode && v.Style&yaml.FlowStyle == 0:
					return nil, fmt.Errorf("cannot replace a block %s with a flow value", kindName(v))
				}
				return replaceToken(d, v, op.Value)
			}
			parent = v
		case yaml.SequenceNode:
			idx, ok := yamlpath.Index(seg)
			if !ok || idx >= len(parent.Content) {
				return nil, fmt.Errorf("no element %q", seg)
			}
			if last {
				return nil, fmt.Errorf("cannot set a whole sequence element")
			}
			parent = parent.Content[idx]
		default:
			return nil, fmt.Errorf("%q is not a mapping or sequence", seg)
		}
	}
	return nil, fmt.Errorf("empty path")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	}
	return "scalar"
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	_, v := mapEntry(m, key, false)
	return v
}

// mapEntry finds key in mapping m; with ns, "headroom:x" also matches "x".
func mapEntry(m *yaml.Node, key string, ns bool) (*yaml.Node, *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	short := key
	if ns {
		if _, after, ok := strings.Cut(key, ":"); ok {
			short = after
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i].Value; k == key || (ns && k == short) {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// byteCol converts a node's 1-based rune column to a byte offset in line.
func byteCol(line string, col int) int {
	off := 0
	for i := 1; i < col && off < len(line); i++ {
		_, n := utf8.DecodeRuneInString(line[off:])
		off += n
	}
	return off
}

// tokenEnd is the byte offset just past the scalar or flow collection that
// starts at off in line.
func tokenEnd(line string, off int, n *yaml.Node) (int, error) {
	if off >= len(line) {
		return 0, fmt.Errorf("node outside its line")
	}
	switch {
	case n.Kind != yaml.ScalarNode && n.Style&yaml.FlowStyle != 0:
		depth := 0
		for i := off; i < len(line); i++ {
			switch line[i] {
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			case '"', '\'':
				j := strings.IndexByte(line[i+1:], line[i])
				if j < 0 {
					return 0, fmt.Errorf("unterminated quote")
				}
				i += j + 1
			}
		}
		return 0, fmt.Errorf("flow collection spans lines")
	case n.Kind != yaml.ScalarNode:
		return 0, fmt.Errorf("cannot replace a block %s", kindName(n))
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		q := line[off]
		j := strings.IndexByte(line[off+1:], q)
		if j < 0 {
			return 0, fmt.Errorf("quoted scalar spans lines")
		}
		return off + 1 + j + 1, nil
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, fmt.Errorf("block scalars are not edited")
	}
	if !strings.HasPrefix(line[off:], n.Value) {
		return 0, fmt.Errorf("scalar %q not found at its position", n.Value)
	}
	return off + len(n.Value), nil
}

func replaceToken(d doc, v *yaml.Node, value string) ([]byte, error) {
	i := v.Line - 1
	if i < 0 || i >= len(d.lines) {
		return nil, fmt.Errorf("node outside the file")
	}
	line := d.lines[i]
	off := byteCol(line, v.Column)
	end, err := tokenEnd(line, off, v)
	if err != nil {
		return nil, err
	}
	d.lines[i] = line[:off] + value + line[end:]
	return d.bytes(), nil
}

// lastLine is the last line (1-based) any node under n occupies.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if x := lastLine(c); x > l {
			l = x
		}
	}
	return l
}

// insertKeys adds path[0]: … under mapping m (nested mappings for the rest
// of the path), after m's last entry, at the indent of its keys (block
// style) or before its closing brace (flow style).
func insertKeys(d doc, m *yaml.Node, path []string, value string) ([]byte, error) {
	if len(m.Content) == 0 || m.Style&yaml.FlowStyle != 0 {
		if len(path) != 1 {
			return nil, fmt.Errorf("cannot insert nested keys into a flow mapping")
		}
		// {a: 1} → {a: 1, key: value}; {} → {key: value}.
		i := m.Line - 1
		line := d.lines[i]
		off := byteCol(line, m.Column)
		end, err := tokenEnd(line, off, m)
		if err != nil {
			return nil, err
		}
		sep := ", "
		if len(m.Content) == 0 {
			sep = ""
		}
		d.lines[i] = line[:end-1] + sep + path[0] + ": " + value + line[end-1:]
		return d.bytes(), nil
	}
	indent := strings.Repeat(" ", m.Content[0].Column-1)
	var add []string
	for j, seg := range path {
		pad := indent + strings.Repeat("  ", j)
		if j == len(path)-1 {
			add = append(add, pad+seg+": "+value)
		} else {
			add = append(add, pad+seg+":")
		}
	}
	at := lastLine(m) // insert after this 1-based line
	d.lines = append(d.lines[:at], append(add, d.lines[at:]...)...)
	return d.bytes(), nil
}

// deleteKey removes key k (and its value's lines, and the comment lines
// right above it) from block mapping m.
func deleteKey(d doc, m *yaml.Node, k, v *yaml.Node) ([]byte, error) {
	if m.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("cannot delete from a flow mapping")
	}
	from := k.Line - 1
	if k.HeadComment != "" {
		from -= strings.Count(k.HeadComment, "\n") + 1
	}
	to := lastLine(v) // 1-based inclusive = exclusive 0-based end
	if from < 0 || to > len(d.lines) || from >= to {
		return nil, fmt.Errorf("cannot locate the lines of %q", k.Value)
	}
	d.lines = append(d.lines[:from], d.lines[to:]...)
	return d.bytes(), nil
}
