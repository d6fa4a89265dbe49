package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// stateJSON is `pulumi stack export`: an apitype.UntypedDeployment whose
// deployment is an apitype.DeploymentV3 (only what is read here).
type stateJSON struct {
	Version    int             `json:"version"`
	Deployment json.RawMessage `json:"deployment"`
}

type deploymentJSON struct {
	Resources []resourceJSON `json:"resources"`
}

// ParseState reads a `pulumi stack export` checkpoint (version 3). Each
// resource becomes one AnalyzerResource whose properties are its outputs —
// what `pulumi policy analyze` gives the pack. Resources pending deletion
// (a replaced copy the update has not removed yet) are left out.
func ParseState(source string, data []byte) (*Stack, error) {
	var doc stateJSON
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not the JSON of `pulumi stack export`: %s", source, oneLine(err.Error()))
	}
	if doc.Version != 3 {
		return nil, fmt.Errorf("%s: checkpoint version %d: expected `pulumi stack export` version 3", source, doc.Version)
	}
	var dep deploymentJSON
	if len(doc.Deployment) == 0 || bytes.Equal(bytes.TrimSpace(doc.Deployment), []byte("null")) {
		return nil, fmt.Errorf("%s: no \"deployment\": expected the JSON of `pulumi stack export`", source)
	}
	if err := json.Unmarshal(doc.Deployment, &dep); err != nil {
		return nil, fmt.Errorf("%s: \"deployment\": %s (expected a `pulumi stack export` deployment)", source, oneLine(err.Error()))
	}
	s := &Stack{Source: source, Kind: KindState}
	for i := range dep.Resources {
		rj := &dep.Resources[i]
		if rj.Delete {
			continue
		}
		props := rj.Outputs
		if len(props) == 0 && !rj.Custom {
			props = rj.Inputs
		}
		r, err := rj.toAnalyzer(props)
		if err != nil {
			return nil, fmt.Errorf("%s: resource %d: %w", source, i, err)
		}
		s.Resources = append(s.Resources, r)
	}
	if err := s.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return s, nil
}
