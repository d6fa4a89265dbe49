package suggest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/yamlpath"
)

// This file edits a stack file in place, keeping its comments and layout:
// yamlpath locates the nodes (line, column, style); yaml.v3 is imported
// only for their type, never walked here;
// the edit itself replaces one scalar token, inserts lines at the indent of
// their siblings, or deletes a key's lines. Every edit re-parses the text,
// so edits compose without tracking offsets.

// Op is one edit of a stack file. Path is a config path under `config:`
// in yamlpath's segments, e.g. ["headroom:database", "maxConnections"] or
// ["headroom:workloads", "[0]", "db", "poolSize"] (indexes built by
// yamlpath.Item; messages name it headroom:workloads[0].db.poolSize); a
// path's first element also matches the key without its namespace.
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
			if _, yerr := yamlpath.Parse(next); yerr != nil {
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
	doc, err := yamlpath.ParseStack(src, config.Namespace)
	if err != nil {
		return nil, err
	}
	cfg := doc.Root()
	if cfg == nil {
		return nil, fmt.Errorf("no config: mapping")
	}
	d := split(src)
	found := doc.Walk(op.Path...)
	if i := len(found); i < len(op.Path) {
		parent := cfg
		if i > 0 {
			parent = found[i-1].Value
		}
		switch {
		case parent.Kind == yaml.SequenceNode:
			return nil, fmt.Errorf("no element %q", op.Path[i])
		case parent.Kind != yaml.MappingNode:
			return nil, fmt.Errorf("%q is not a mapping or sequence", op.Path[i])
		case op.Delete:
			return src, nil // nothing to delete
		}
		for _, seg := range op.Path[i:] {
			if _, item := yamlpath.Index(seg); item {
				return nil, fmt.Errorf("no element %q", seg)
			}
		}
		// Insert the rest of the path as new keys.
		return insertKeys(d, parent, op.Path[i:], op.Value)
	}
	e := found[len(found)-1]
	switch {
	case e.Key == nil:
		return nil, fmt.Errorf("cannot set a whole sequence element")
	case op.Delete:
		return deleteKey(d, e.Parent, e.Key, e.Value)
	case op.Flow && e.Value.Kind != yaml.ScalarNode && e.Value.Style&yaml.FlowStyle == 0:
		return nil, fmt.Errorf("cannot replace a block %s with a flow value", kindName(e.Value))
	}
	return replaceToken(d, e.Value, op.Value)
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

// insertKeys adds path[0]: … under mapping m (nested mappings for the rest
// of the path), after m's last entry, at the indent of its keys (block
// style) or before its closing brace (flow style).
func insertKeys(d doc, m *yaml.Node, path []string, value string) ([]byte, error) {
	entries := yamlpath.Entries(m)
	if len(entries) == 0 || m.Style&yaml.FlowStyle != 0 {
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
		if len(entries) == 0 {
			sep = ""
		}
		d.lines[i] = line[:end-1] + sep + path[0] + ": " + value + line[end-1:]
		return d.bytes(), nil
	}
	indent := strings.Repeat(" ", entries[0].Key.Column-1)
	var add []string
	for j, seg := range path {
		pad := indent + strings.Repeat("  ", j)
		if j == len(path)-1 {
			add = append(add, pad+seg+": "+value)
		} else {
			add = append(add, pad+seg+":")
		}
	}
	at := yamlpath.LastLine(m) // insert after this 1-based line
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
	to := yamlpath.LastLine(v) // 1-based inclusive = exclusive 0-based end
	if from < 0 || to > len(d.lines) || from >= to {
		return nil, fmt.Errorf("cannot locate the lines of %q", k.Value)
	}
	d.lines = append(d.lines[:from], d.lines[to:]...)
	return d.bytes(), nil
}
