// Package ingest reads what the Pulumi CLI writes about a stack — the JSON of
// `pulumi preview --json` and the checkpoint of `pulumi stack export` — into
// the resource list the policy pack's Evaluate takes
// ([]policyx.AnalyzerResource), so the offline plan judges a program written
// in any language, not only ours.
//
// The two sources give the pack the same two views the engine gives it:
//
//   - a preview carries each resource's planned new state; the pack gets
//     its inputs (what `pulumi preview --policy-pack` analyzes before the
//     resource exists), with values unknown until apply kept unknown;
//   - a state export carries what exists; the pack gets the outputs
//     (inputs merged with what the provider computed), as
//     `pulumi policy analyze` does.
//
// Secrets are never decrypted: a value the file holds encrypted (or blinded
// as "[secret]") becomes the redacted-secret value the pack reads as
// unknown.
package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Kind is the file a stack was read from.
type Kind string

const (
	// KindPreview is the JSON of `pulumi preview --json`.
	KindPreview Kind = "preview"
	// KindState is a `pulumi stack export` checkpoint (deployment v3).
	KindState Kind = "state"
)

// StackType is the type token of the root stack resource.
const StackType = "pulumi:pulumi:Stack"

// RedactedSecret is what a secret becomes when the file holds it encrypted
// or blinded: the string `pulumi policy analyze --file` substitutes for a
// secret it cannot decrypt, which the pack reads as unknown.
const RedactedSecret = "[secret]"

// Stack is one stack's resources as the policy pack takes them.
type Stack struct {
	// Source is the file the stack was read from (for messages).
	Source string
	Kind   Kind
	// Project and Name come from the root stack resource's URN (or the
	// first URN when the file has no stack resource).
	Project string
	Name    string
	// Resources are in the file's order (the engine's: parents and
	// dependencies first). Steps that delete a resource are left out.
	Resources []policyx.AnalyzerResource
	// Outputs are the stack outputs (the root stack resource's outputs;
	// known only in a state or for an unchanged stack in a preview).
	Outputs property.Map
}

// Counts is the number of resources per type token (the stack and
// components included), as the plan's inventory shows them.
func (s *Stack) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range s.Resources {
		out[r.Type]++
	}
	return out
}

// Load reads a preview JSON or a state export from path; which it is, is
// told by its shape. Errors are one line naming the file and what was
// expected.
func Load(path string) (*Stack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, b)
}

// LoadAs is Load that insists on one kind.
func LoadAs(path string, want Kind) (*Stack, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	if s.Kind != want {
		return nil, fmt.Errorf("%s: a %s file, expected %s", path, s.Kind, describe(want))
	}
	return s, nil
}

func describe(k Kind) string {
	if k == KindPreview {
		return "the JSON of `pulumi preview --json`"
	}
	return "the JSON of `pulumi stack export`"
}

// Parse reads data (named source in errors) as a preview or a state.
func Parse(source string, data []byte) (*Stack, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %s (expected the output of `pulumi preview --json` or `pulumi stack export`)",
			source, oneLine(err.Error()))
	}
	_, hasSteps := probe["steps"]
	_, hasDeployment := probe["deployment"]
	_, hasChanges := probe["changeSummary"]
	switch {
	case hasDeployment:
		return ParseState(source, data)
	case hasSteps || hasChanges:
		return ParsePreview(source, data)
	}
	return nil, fmt.Errorf("%s: neither a preview (no \"steps\") nor a state export (no \"deployment\"): expected the output of `pulumi preview --json` or `pulumi stack export`", source)
}

// resourceJSON is a resource as both files write it
// (sdk/go/common/apitype.ResourceV3; only what the pack needs, read
// leniently so newer CLIs' extra fields pass).
type resourceJSON struct {
	URN                  string                     `json:"urn"`
	Custom               bool                       `json:"custom"`
	Delete               bool                       `json:"delete"`
	ID                   string                     `json:"id"`
	Type                 string                     `json:"type"`
	Inputs               map[string]json.RawMessage `json:"inputs"`
	Outputs              map[string]json.RawMessage `json:"outputs"`
	Parent               string                     `json:"parent"`
	Protect              bool                       `json:"protect"`
	External             bool                       `json:"external"`
	Dependencies         []string                   `json:"dependencies"`
	PropertyDependencies map[string][]string        `json:"propertyDependencies"`
	Provider             string                     `json:"provider"`
	AdditionalSecretOuts []string                   `json:"additionalSecretOutputs"`
	IgnoreChanges        []string                   `json:"ignoreChanges"`
	ReplaceOnChanges     []string                   `json:"replaceOnChanges"`
	DeleteBeforeReplace  bool                       `json:"deleteBeforeReplace"`
}

// toAnalyzer converts one resource; props chooses inputs or outputs.
func (r *resourceJSON) toAnalyzer(props map[string]json.RawMessage) (policyx.AnalyzerResource, error) {
	if r.URN == "" {
		return policyx.AnalyzerResource{}, errors.New("a resource without \"urn\"")
	}
	u := urn.URN(r.URN)
	if !u.IsValid() {
		return policyx.AnalyzerResource{}, fmt.Errorf("resource %q: not a valid URN", r.URN)
	}
	typ := r.Type
	if typ == "" {
		typ = string(u.Type())
	}
	m, err := decodeMap(props)
	if err != nil {
		return policyx.AnalyzerResource{}, fmt.Errorf("resource %s: %w", r.URN, err)
	}
	var propDeps map[string][]string
	if len(r.PropertyDependencies) > 0 {
		propDeps = make(map[string][]string, len(r.PropertyDependencies))
		for k, v := range r.PropertyDependencies {
			propDeps[k] = append([]string(nil), v...)
		}
	}
	return policyx.AnalyzerResource{
		Type:       typ,
		Properties: m,
		URN:        r.URN,
		Name:       u.Name(),
		Options: pulumi.ResourceOptions{
			Protect:                 r.Protect,
			IgnoreChanges:           append([]string(nil), r.IgnoreChanges...),
			DeleteBeforeReplace:     r.DeleteBeforeReplace,
			ReplaceOnChanges:        append([]string(nil), r.ReplaceOnChanges...),
			AdditionalSecretOutputs: append([]string(nil), r.AdditionalSecretOuts...),
		},
		Provider:             providerOf(r.Provider),
		Parent:               r.Parent,
		Dependencies:         append([]string(nil), r.Dependencies...),
		PropertyDependencies: propDeps,
	}, nil
}

// providerOf splits a provider reference "<urn>::<id>".
func providerOf(ref string) policyx.AnalyzerProviderResource {
	if ref == "" {
		return policyx.AnalyzerProviderResource{}
	}
	u := ref
	if i := strings.LastIndex(ref, "::"); i > 0 && urn.URN(ref[:i]).IsValid() {
		u = ref[:i]
	}
	p := policyx.AnalyzerProviderResource{URN: u}
	if pu := urn.URN(u); pu.IsValid() {
		p.Type = string(pu.Type())
		p.Name = pu.Name()
	}
	return p
}

// finish fills the stack's identity from its resources.
func (s *Stack) finish() error {
	if len(s.Resources) == 0 {
		return nil
	}
	pick := s.Resources[0].URN
	for _, r := range s.Resources {
		if r.Type == StackType {
			pick = r.URN
			if s.Outputs.Len() == 0 {
				s.Outputs = r.Properties
			}
			break
		}
	}
	u := urn.URN(pick)
	s.Project, s.Name = string(u.Project()), string(u.Stack())
	for _, r := range s.Resources {
		ru := urn.URN(r.URN)
		if string(ru.Stack()) != s.Name || string(ru.Project()) != s.Project {
			return fmt.Errorf("resource %s is of stack %s/%s, not %s/%s: one file holds one stack",
				r.URN, ru.Project(), ru.Stack(), s.Project, s.Name)
		}
	}
	return nil
}

// decodeMap decodes a serialized property map (the state format of
// pkg/resource/stack.SerializeProperties): unknown sentinels, secrets,
// resource references, assets and archives by their signature key.
func decodeMap(raw map[string]json.RawMessage) (property.Map, error) {
	if len(raw) == 0 {
		return property.Map{}, nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]property.Value, len(raw))
	for _, k := range keys {
		var v any
		if err := decodeJSON(raw[k], &v); err != nil {
			return property.Map{}, fmt.Errorf("property %q: %w", k, err)
		}
		pv, err := decodeValue(v, 0)
		if err != nil {
			return property.Map{}, fmt.Errorf("property %q: %w", k, err)
		}
		out[k] = pv
	}
	return property.NewMap(out), nil
}

// maxDepth bounds nesting (a hostile file must not exhaust the stack).
const maxDepth = 64

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func decodeValue(v any, depth int) (property.Value, error) {
	if depth > maxDepth {
		return property.Value{}, fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return property.New(property.Null), nil
	case bool:
		return property.New(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return property.Value{}, fmt.Errorf("number %s: %w", x, err)
		}
		return property.New(f), nil
	case string:
		if sig.IsUnknown(x) {
			return property.New(property.Computed), nil
		}
		return property.New(x), nil
	case []any:
		arr := make([]property.Value, 0, len(x))
		for _, e := range x {
			pe, err := decodeValue(e, depth+1)
			if err != nil {
				return property.Value{}, err
			}
			arr = append(arr, pe)
		}
		return property.New(arr), nil
	case map[string]any:
		if s, ok := x[sig.Key].(string); ok {
			return decodeSigned(s, x, depth)
		}
		m := make(map[string]property.Value, len(x))
		for k, e := range x {
			pe, err := decodeValue(e, depth+1)
			if err != nil {
				return property.Value{}, err
			}
			m[k] = pe
		}
		return property.New(m), nil
	}
	return property.Value{}, fmt.Errorf("unexpected JSON value %T", v)
}

// decodeSigned decodes an object tagged with the signature key.
func decodeSigned(s string, x map[string]any, depth int) (property.Value, error) {
	switch s {
	case sig.Secret:
		// Plaintext (what --show-secrets writes, and what our own
		// checkpoints write) is kept as a secret value; ciphertext is never
		// decrypted here.
		if p, ok := x["plaintext"].(string); ok {
			var inner any
			if err := decodeJSON([]byte(p), &inner); err != nil {
				return property.Value{}, fmt.Errorf("secret plaintext: %w", err)
			}
			v, err := decodeValue(inner, depth+1)
			if err != nil {
				return property.Value{}, err
			}
			return v.WithSecret(true), nil
		}
		return property.New(RedactedSecret).WithSecret(true), nil
	case sig.ResourceReference:
		u, _ := x["urn"].(string)
		ref := property.ResourceReference{URN: urn.URN(u)}
		if id, ok := x["id"].(string); ok {
			if sig.IsUnknown(id) {
				ref.ID = property.New(property.Computed)
			} else {
				ref.ID = property.New(id)
			}
		}
		if pv, ok := x["packageVersion"].(string); ok {
			ref.PackageVersion = pv
		}
		return property.New(ref), nil
	case sig.AssetSig, sig.ArchiveSig:
		// The pack reads no asset; keep the shape without its contents.
		return property.New(property.Null), nil
	case sig.OutputValue:
		if v, ok := x["value"]; ok {
			pv, err := decodeValue(v, depth+1)
			if err != nil {
				return property.Value{}, err
			}
			if sec, _ := x["secret"].(bool); sec {
				pv = pv.WithSecret(true)
			}
			return pv, nil
		}
		return property.New(property.Computed), nil
	}
	return property.Value{}, fmt.Errorf("unknown signature %q", s)
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
