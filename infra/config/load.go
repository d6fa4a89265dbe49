package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/yamlpath"
)

// File is a decoded stack file.
type File struct {
	// Path is the file's path as given to LoadFile.
	Path string
	// Stack is the decoded, validated configuration.
	Stack Stack
	// Values is the file's config in the engine's form (what Decode takes
	// and what Pulumi hands the program): structured values as JSON.
	// Encrypted (secure:) values of other namespaces are left out.
	Values map[string]string
}

// StackFile is the path of a stack's config file under a repository root:
// <root>/stacks/Pulumi.<stack>.yaml (Pulumi.yaml sets stackConfigDir: stacks).
func StackFile(root, stack string) string {
	return filepath.Join(root, "stacks", "Pulumi."+stack+".yaml")
}

// StackName derives the stack name from a stack file's name:
// Pulumi.<stack>.yaml → <stack>; any other name → the base name without
// its extension.
func StackName(path string) string {
	base := filepath.Base(path)
	ext := filepath.Ext(base)
	name := strings.TrimSuffix(base, ext)
	if strings.HasPrefix(name, "Pulumi.") && len(name) > len("Pulumi.") {
		return strings.TrimPrefix(name, "Pulumi.")
	}
	return name
}

// LoadFile reads a Pulumi stack file (a top-level `config:` map whose values
// may be YAML maps and lists), converts it to the engine's string form and
// decodes it with Decode. Errors are *FileError (path prefix) wrapping a
// *Error for configuration errors.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// *PathError repeats the path; keep only its cause.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return nil, &FileError{Path: path, Err: err}
	}
	return loadBytes(path, data)
}

// LoadBytes decodes the bytes of a stack file as LoadFile does, naming path
// in errors (tools that edit a stack file in memory re-load it with this).
func LoadBytes(path string, data []byte) (*File, error) { return loadBytes(path, data) }

// loadBytes is LoadFile after the read (fuzzed directly).
func loadBytes(path string, data []byte) (*File, error) {
	values, err := EngineValues(data)
	if err != nil {
		return nil, fileError(path, data, err)
	}
	s, err := Decode(StackName(path), values)
	if err != nil {
		return nil, fileError(path, data, err)
	}
	return &File{Path: path, Stack: s, Values: values}, nil
}

// fileError is err about the stack file path, at the line and column
// where a configuration error's key (or its nearest parent) is written.
func fileError(path string, data []byte, err error) *FileError {
	fe := &FileError{Path: path, Err: err}
	var ce *Error
	if !errors.As(err, &ce) {
		return fe
	}
	if doc, perr := yamlpath.ParseStack(data, Namespace); perr == nil {
		if line, col, _, ok := doc.Nearest(ce.Path()...); ok {
			fe.Line, fe.Column = line, col
		}
	}
	return fe
}

// EngineValues converts the bytes of a stack file to the engine's config
// form: key → string, structured values as JSON, keys without a namespace
// put under headroom: (Pulumi's rule for project keys).
func EngineValues(data []byte) (map[string]string, error) {
	doc, err := yamlpath.Parse(data)
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	root := doc.Root()
	if root == nil {
		return values, nil // empty file: no config
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a stack file must be a YAML mapping with a config: key", root.Line)
	}
	e, ok := doc.Lookup("config")
	if !ok || e.Value.Tag == "!!null" {
		return values, nil
	}
	cfg := e.Value
	if cfg.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: config: must be a mapping of keys to values", cfg.Line)
	}
	for _, entry := range yamlpath.Entries(cfg) {
		kn, vn := entry.Key, entry.Value
		key := kn.Value
		if kn.Kind != yaml.ScalarNode || key == "" {
			return nil, fmt.Errorf("line %d: config keys must be non-empty strings", kn.Line)
		}
		if !strings.Contains(key, ":") {
			key = Namespace + ":" + key
		}
		if _, dup := values[key]; dup {
			return nil, newPath(key, key, false).err(fmt.Sprintf("duplicate key (line %d)", kn.Line))
		}
		p := newPath(key, key, false)
		v, err := (&yamlConv{active: map[*yaml.Node]bool{}}).value(p, vn)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(secureValue); ok {
			ns, _, _ := strings.Cut(key, ":")
			if ns == Namespace || key == ProjectKey {
				return nil, p.err("is encrypted (secure:); Headroom reads its config offline, so it must be plain text")
			}
			continue // another provider's secret: not ours to read
		}
		s, err := engineString(p, v)
		if err != nil {
			return nil, err
		}
		values[key] = s
	}
	return values, nil
}

// secureValue marks a Pulumi `{secure: <ciphertext>}` value.
type secureValue struct{}

// maxYAMLNodes bounds alias expansion ("billion laughs"): a real stack
// file has a few hundred nodes.
const maxYAMLNodes = 100000

// yamlConv converts YAML nodes to the JSON model (map[string]any, []any,
// string, json.Number, bool, nil) with errors naming the key path. It
// refuses alias cycles and bounds the expanded size.
type yamlConv struct {
	active map[*yaml.Node]bool // aliases being expanded (cycle check)
	nodes  int
}

func (c *yamlConv) value(p path, n *yaml.Node) (any, error) {
	if c.nodes++; c.nodes > maxYAMLNodes {
		return nil, p.err(fmt.Sprintf("too large: more than %d YAML nodes after alias expansion", maxYAMLNodes))
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(p, n.Content[0])
	case yaml.AliasNode:
		if n.Alias == nil || c.active[n.Alias] {
			return nil, p.err(fmt.Sprintf("line %d: recursive YAML alias *%s", n.Line, clip(n.Value)))
		}
		c.active[n.Alias] = true
		defer delete(c.active, n.Alias)
		return c.value(p, n.Alias)
	case yaml.MappingNode:
		// Pulumi's encrypted value: {secure: v1:...}.
		if len(n.Content) == 2 && n.Content[0].Value == "secure" && n.Content[1].Kind == yaml.ScalarNode {
			return secureValue{}, nil
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := n.Content[i]
			if kn.Kind != yaml.ScalarNode {
				return nil, p.err(fmt.Sprintf("line %d: keys must be strings", kn.Line))
			}
			if kn.Value == "<<" {
				return nil, p.err(fmt.Sprintf("line %d: YAML merge keys (<<) are not supported", kn.Line))
			}
			kp := p.key(kn.Value)
			if _, dup := m[kn.Value]; dup {
				return nil, kp.err(fmt.Sprintf("duplicate key (line %d)", kn.Line))
			}
			v, err := c.value(kp, n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if _, ok := v.(secureValue); ok {
				return nil, kp.err("is encrypted (secure:); Headroom reads its config offline, so it must be plain text")
			}
			m[kn.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			v, err := c.value(p.index(i), e)
			if err != nil {
				return nil, err
			}
			if _, ok := v.(secureValue); ok {
				return nil, p.index(i).err("is encrypted (secure:); Headroom reads its config offline, so it must be plain text")
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, p.err(oneLine(err.Error()))
			}
			return b, nil
		case "!!int":
			var i any
			if err := n.Decode(&i); err != nil {
				return nil, p.err(oneLine(err.Error()))
			}
			return json.Number(fmt.Sprint(i)), nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, p.err(oneLine(err.Error()))
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, p.err(fmt.Sprintf("must be a finite number, got %s", clip(n.Value)))
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		default:
			// !!str, !!timestamp, !!binary and custom tags: the text as
			// written, as Pulumi keeps it.
			return n.Value, nil
		}
	}
	return nil, p.err(fmt.Sprintf("line %d: unsupported YAML node", n.Line))
}

// engineString renders a top-level value as the engine does: scalars as
// plain text, objects and lists as JSON.
func engineString(p path, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", p.err(oneLine(err.Error()))
	}
	return string(b), nil
}
