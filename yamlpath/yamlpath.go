// Package yamlpath is the one YAML walker and path convention of Headroom:
// a path is mapping keys joined by "." with sequence indexes in brackets,
// e.g. headroom:workloads[0].db.poolSize; a key that holds ".", "[", "]",
// a quote, a space or nothing is written quoted in brackets,
// env["MY.VAR"]. Config errors (package infra/config), SARIF locations
// (package report) and suggest's edits and their messages name keys this
// way, and locate them through Doc.
package yamlpath

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Path is a key path in segments: mapping keys as written, sequence
// indexes as "[n]" (Item). Build it with Key and Index so every caller
// spells indexes the same way.
type Path []string

// Key returns a copy of p with the mapping key k appended.
func (p Path) Key(k string) Path { return append(p[:len(p):len(p)], k) }

// Index returns a copy of p with the sequence index i appended.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], Item(i)) }

// String renders p in the convention (see String).
func (p Path) String() string { return String(p...) }

// Item is the segment of sequence index i: "[i]".
func Item(i int) string { return "[" + strconv.Itoa(i) + "]" }

// String renders a path of segments in the convention: keys joined by
// ".", an index segment "[2]" glued to its key, a key that is not plain
// (bareKey) quoted in brackets: a.b[0]["x.y"].
func String(path ...string) string {
	var b strings.Builder
	for i, p := range path {
		switch {
		case isItem(p):
			b.WriteString(p)
		case bareKey(p):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(p))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// bareKey reports whether key k is written as is: non-empty, printable,
// no space, and none of the characters the convention uses (. [ ] ").
func bareKey(k string) bool {
	if k == "" || !utf8.ValidString(k) {
		return false
	}
	for _, r := range k {
		if r == '.' || r == '[' || r == ']' || r == '"' || r == ' ' || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// Split is the inverse of String: `a.b[0]["x.y"]` → ["a", "b", "[0]",
// "x.y"]. It never fails: text that is not a bracket segment is read as
// part of a key, so Split(String(Split(s)...)) == Split(s) for any s.
func Split(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	i := 0
	keyNext := true // at the start or after a ".": a key follows
	for {
		if i < len(s) && s[i] == '[' {
			if seg, n, ok := bracket(s[i:]); ok {
				out = append(out, seg)
				i += n
				keyNext = false
				goto next
			}
		}
		if keyNext || i < len(s) {
			// A key runs to the next "." or bracket segment.
			j := i
			for j < len(s) && s[j] != '.' {
				if s[j] == '[' {
					if _, _, ok := bracket(s[j:]); ok {
						break
					}
				}
				j++
			}
			if j > i || keyNext {
				out = append(out, s[i:j])
			}
			i = j
			keyNext = false
		}
	next:
		if i >= len(s) {
			return out
		}
		if s[i] == '.' {
			i++
			keyNext = true
		}
	}
}

// bracket reads the bracket segment at the start of s: a canonical index
// "[n]" (the segment itself) or a quoted key `["k"]` (the key), and its
// length in bytes.
func bracket(s string) (seg string, n int, ok bool) {
	if len(s) > 1 && s[1] == '"' {
		q, err := strconv.QuotedPrefix(s[1:])
		if err != nil || len(s) < 1+len(q)+1 || s[1+len(q)] != ']' {
			return "", 0, false
		}
		k, err := strconv.Unquote(q)
		if err != nil {
			return "", 0, false
		}
		return k, len(q) + 2, true
	}
	end := strings.IndexByte(s, ']')
	if end < 0 || !isItem(s[:end+1]) {
		return "", 0, false
	}
	return s[:end+1], end + 1, true
}

// isItem reports whether seg is an index segment in its canonical form.
func isItem(seg string) bool {
	n, ok := Index(seg)
	return ok && seg == Item(n)
}

// Index is the sequence index an index segment "[2]" names.
func Index(seg string) (int, bool) {
	if len(seg) < 3 || seg[0] != '[' || seg[len(seg)-1] != ']' {
		return 0, false
	}
	s := seg[1 : len(seg)-1]
	if len(s) > 9 {
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

// Doc is a parsed YAML document.
type Doc struct {
	root *yaml.Node
	// at is the key node of root when root is a stack file's config:
	// mapping (ParseStack), the position of a path found nowhere below.
	at *yaml.Node
	// ns is the project namespace of a stack file ("headroom:"): a first
	// segment "headroom:x" also matches the key "x".
	ns string
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

// ParseStack reads a Pulumi stack file: paths start under its config:
// mapping, and a first segment "<project>:x" also matches the key "x"
// (Pulumi reads a key without namespace as the project's).
func ParseStack(src []byte, project string) (*Doc, error) {
	d, err := Parse(src)
	if err != nil {
		return nil, err
	}
	s := &Doc{ns: project + ":"}
	if e, ok := d.Lookup("config"); ok {
		s.root, s.at = e.Value, e.Key
	}
	return s, nil
}

// Root is the node paths start from (nil for an empty document).
func (d *Doc) Root() *yaml.Node {
	if d == nil {
		return nil
	}
	return d.root
}

// Entry is one step of a path in a document.
type Entry struct {
	// Parent is the mapping or sequence the step is in.
	Parent *yaml.Node
	// Key is the key node of a mapping entry; nil for a sequence item.
	Key *yaml.Node
	// Value is the entry's value node, or the sequence item.
	Value *yaml.Node
}

// Node is where the entry is written: its key, or the item.
func (e Entry) Node() *yaml.Node {
	if e.Key != nil {
		return e.Key
	}
	return e.Value
}

// Walk follows path from the root and returns one entry per segment found,
// stopping at the first that is absent: len(result) < len(path) means
// path[len(result)] is not there (under result's last value, or the root).
// Aliases are followed.
func (d *Doc) Walk(path ...string) []Entry {
	if d == nil || d.root == nil {
		return nil
	}
	var out []Entry
	cur := d.root
	for i, p := range path {
		cur = deref(cur)
		var e Entry
		var found bool
		switch cur.Kind {
		case yaml.SequenceNode:
			if n, ok := Index(p); ok && n < len(cur.Content) {
				e, found = Entry{Parent: cur, Value: cur.Content[n]}, true
			}
		case yaml.MappingNode:
			e, found = mapEntry(cur, p)
			if !found && i == 0 && d.ns != "" && strings.HasPrefix(p, d.ns) {
				e, found = mapEntry(cur, strings.TrimPrefix(p, d.ns))
			}
		}
		if !found {
			break
		}
		out = append(out, e)
		cur = e.Value
	}
	return out
}

// deref follows aliases (bounded: yaml.v3 refuses alias cycles it parses,
// and a document node is unwrapped).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 100 && n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode); i++ {
		switch {
		case n.Kind == yaml.AliasNode && n.Alias != nil:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		default:
			return n
		}
	}
	return n
}

func mapEntry(m *yaml.Node, key string) (Entry, bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return Entry{Parent: m, Key: k, Value: m.Content[i+1]}, true
		}
	}
	return Entry{}, false
}

// Lookup is the entry at path, if every segment is there.
func (d *Doc) Lookup(path ...string) (Entry, bool) {
	w := d.Walk(path...)
	if len(path) == 0 || len(w) < len(path) {
		return Entry{}, false
	}
	return w[len(w)-1], true
}

// Find returns the 1-based line and column of the node at path: the key
// node of the last mapping key, or the item of the last sequence index.
func (d *Doc) Find(path ...string) (line, col int, ok bool) {
	e, ok := d.Lookup(path...)
	if !ok {
		return 0, 0, false
	}
	return position(e.Node())
}

// Nearest is where path is written, or, when it is absent, where its
// nearest existing parent is (for a stack file, at worst its config:
// key); found says whether the whole path was there.
func (d *Doc) Nearest(path ...string) (line, col int, found, ok bool) {
	w := d.Walk(path...)
	for i := len(w) - 1; i >= 0; i-- {
		if line, col, ok := position(w[i].Node()); ok {
			return line, col, i == len(path)-1, true
		}
	}
	if d != nil && d.at != nil {
		line, col, ok := position(d.at)
		return line, col, false, ok
	}
	return 0, 0, false, false
}

func position(n *yaml.Node) (int, int, bool) {
	if n == nil || n.Line < 1 || n.Column < 1 {
		return 0, 0, false
	}
	return n.Line, n.Column, true
}

// LastLine is the last line (1-based) any node under n occupies (aliases
// are not followed: their text is the alias itself).
func LastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if x := LastLine(c); x > l {
			l = x
		}
	}
	return l
}

// Entries lists the entries of mapping m in order (nil for any other
// node).
func Entries(m *yaml.Node) []Entry {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]Entry, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, Entry{Parent: m, Key: m.Content[i], Value: m.Content[i+1]})
	}
	return out
}
