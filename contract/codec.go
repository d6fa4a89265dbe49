package capacity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The parts of the env and label contract that carry demand from the program
// to the policy pack, stated once here so that the component that writes them
// and the pack that reads them (which may not import each other) agree.
const (
	// EnvDBProcesses is the number of worker processes per instance, each
	// with its own pools (absent = 1).
	EnvDBProcesses = "DB_PROCESSES"
	// EnvDBExtraPools is a JSON array of the further pools each process opens
	// besides the main one (DB_POOL_SIZE …), e.g.
	// [{"name":"asyncpg","poolSize":8,"maxOverflow":0,"startupConnections":1}].
	EnvDBExtraPools = "DB_EXTRA_POOLS"
	// ConsumerLabelPrefix starts the Cloud SQL instance user label that
	// declares one non-Cloud-Run consumer and its connections:
	// headroom-consumer-<name> = "<connections>".
	ConsumerLabelPrefix = "headroom-consumer-"
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

// poolJSON is the wire form of a Pool in EnvDBExtraPools.
type poolJSON struct {
	Name               string `json:"name"`
	PoolSize           int    `json:"poolSize"`
	MaxOverflow        int    `json:"maxOverflow"`
	StartupConnections int    `json:"startupConnections"`
}

// EncodeExtraPools renders pools as the EnvDBExtraPools value ("" for none).
func EncodeExtraPools(pools []Pool) string {
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
func DecodeExtraPools(s string) ([]Pool, error) {
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
	out := make([]Pool, len(in))
	for i, p := range in {
		out[i] = Pool(p)
		if err := ValidatePool(p.PoolSize, p.MaxOverflow, p.StartupConnections); err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", EnvDBExtraPools, i, err)
		}
	}
	return out, nil
}

// ConsumerLabels renders consumers as Cloud SQL user labels.
func ConsumerLabels(cs []Consumer) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		out[ConsumerLabelPrefix+c.Name] = strconv.Itoa(c.Connections)
	}
	return out
}

// ParseConsumerLabels reads the consumers declared in an instance's user
// labels (other labels are ignored), sorted by name.
func ParseConsumerLabels(labels map[string]string) ([]Consumer, error) {
	var out []Consumer
	for k, v := range labels {
		name, ok := strings.CutPrefix(k, ConsumerLabelPrefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("label %s=%q: want a positive number of connections", k, v)
		}
		out = append(out, Consumer{Name: name, Connections: n})
	}
	slices.SortFunc(out, func(a, b Consumer) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
