package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// consumerName is what fits a GCP label key after the prefix: lowercase
// letters, digits, '_' and '-', starting with a letter, 63 characters in all
// (https://cloud.google.com/resource-manager/docs/labels-overview#requirements).
var consumerName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,44}$`)

// ValidateConsumerName checks that a consumer's name can be carried in a
// label key.
func ValidateConsumerName(name string) error {
	if !consumerName.MatchString(name) {
		return fmt.Errorf("consumer name %q: want lowercase letters, digits, '-' or '_', starting with a letter, at most 45 characters (it becomes a Cloud SQL label key)", name)
	}
	return nil
}

// poolJSON is the wire form of a capacity.Pool in EnvDBExtraPools.
type poolJSON struct {
	Name               string `json:"name"`
	PoolSize           int    `json:"poolSize"`
	MaxOverflow        int    `json:"maxOverflow"`
	StartupConnections int    `json:"startupConnections"`
}

// EncodeExtraPools renders pools as the EnvDBExtraPools value ("" for none).
func EncodeExtraPools(pools []capacity.Pool) string {
	if len(pools) == 0 {
		return ""
	}
	out := make([]poolJSON, len(pools))
	for i, p := range pools {
		out[i] = poolJSON(p)
	}
	b, _ := json.Marshal(out) // plain structs of strings and ints cannot fail
	return string(b)
}

// DecodeExtraPools parses an EnvDBExtraPools value; "" is no pools. Unknown
// fields and invalid sizes are errors.
func DecodeExtraPools(s string) ([]capacity.Pool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	var in []poolJSON
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of {name, poolSize, maxOverflow, startupConnections}: %v", EnvDBExtraPools, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data after the JSON array", EnvDBExtraPools)
	}
	out := make([]capacity.Pool, len(in))
	for i, p := range in {
		out[i] = capacity.Pool(p)
		if err := capacity.ValidatePool(p.PoolSize, p.MaxOverflow, p.StartupConnections); err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", EnvDBExtraPools, i, err)
		}
	}
	return out, nil
}

// ConsumerLabels renders consumers as Cloud SQL user labels.
func ConsumerLabels(cs []capacity.Consumer) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		out[ConsumerLabelPrefix+c.Name] = strconv.Itoa(c.Connections)
	}
	return out
}

// ParseConsumerLabels reads the consumers declared in an instance's user
// labels (other labels are ignored), sorted by name.
func ParseConsumerLabels(labels map[string]string) ([]capacity.Consumer, error) {
	var out []capacity.Consumer
	for k, v := range labels {
		name, ok := strings.CutPrefix(k, ConsumerLabelPrefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("label %s=%q: want a positive number of connections", k, v)
		}
		out = append(out, capacity.Consumer{Name: name, Connections: n})
	}
	slices.SortFunc(out, func(a, b capacity.Consumer) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
