package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// previewJSON is the document `pulumi preview --json` prints
// (pkg/display.PreviewDigest of the Pulumi CLI; only the fields read here).
type previewJSON struct {
	Steps         []previewStep      `json:"steps"`
	ChangeSummary map[string]float64 `json:"changeSummary"`
	Diagnostics   []json.RawMessage  `json:"diagnostics"`
}

// previewStep is one step the engine plans (pkg/display.PreviewStep).
type previewStep struct {
	Op       string        `json:"op"`
	URN      string        `json:"urn"`
	Provider string        `json:"provider"`
	OldState *resourceJSON `json:"oldState"`
	NewState *resourceJSON `json:"newState"`
}

// gone are the step operations after which the resource no longer exists
// (or the step only removes an old copy of a replaced one).
var gone = map[string]bool{
	"delete":                 true,
	"delete-replaced":        true,
	"discard":                true,
	"discard-replaced":       true,
	"remove-pending-replace": true,
	"read-discard":           true,
}

// ParsePreview reads the JSON of `pulumi preview --json`. Each resource the
// stack will hold after the update becomes one AnalyzerResource whose
// properties are its planned inputs (a read resource: its outputs), the
// view `pulumi preview --policy-pack` gives the pack. A resource planned by
// several steps (a replacement) appears once, with its newest state.
func ParsePreview(source string, data []byte) (*Stack, error) {
	var doc previewJSON
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not the JSON of `pulumi preview --json`: %s", source, oneLine(err.Error()))
	}
	if doc.Steps == nil && doc.ChangeSummary == nil {
		return nil, fmt.Errorf("%s: expected the JSON of `pulumi preview --json` (an object with \"steps\")", source)
	}
	// `pulumi preview --json` lists an unchanged resource only with
	// --show-sames (the stack itself always): without them the database of
	// an existing stack is missing and its services bind to nothing.
	sames := 0
	for _, st := range doc.Steps {
		if st.Op == "same" {
			sames++
		}
	}
	if want := int(doc.ChangeSummary["same"]); want > sames {
		return nil, fmt.Errorf("%s: the preview leaves out %d unchanged resource(s) (%d of %d \"same\" steps listed): capture it with `pulumi preview --json --show-sames`", source, want-sames, sames, want)
	}
	s := &Stack{Source: source, Kind: KindPreview, Outputs: property.Map{}}
	at := map[string]int{}
	for i, st := range doc.Steps {
		if gone[st.Op] || st.NewState == nil {
			continue
		}
		if st.Op == "" {
			return nil, fmt.Errorf("%s: step %d: no \"op\": expected the JSON of `pulumi preview --json`", source, i)
		}
		ns := st.NewState
		if ns.URN == "" {
			ns.URN = st.URN
		}
		if ns.Provider == "" {
			ns.Provider = st.Provider
		}
		props := ns.Inputs
		if st.Op == "read" || st.Op == "read-replacement" {
			props = ns.Outputs
		}
		r, err := ns.toAnalyzer(props)
		if err != nil {
			return nil, fmt.Errorf("%s: step %d (%s): %w", source, i, st.Op, err)
		}
		if r.Type == StackType {
			if out, err := decodeMap(ns.Outputs); err == nil {
				s.Outputs = out
			}
		}
		if j, ok := at[r.URN]; ok {
			s.Resources[j] = r
			continue
		}
		at[r.URN] = len(s.Resources)
		s.Resources = append(s.Resources, r)
	}
	if err := s.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return s, nil
}
