package graph

import (
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Placeholders Plain writes for values that have no plain form.
const (
	SecretPlaceholder  = "[secret]"
	UnknownPlaceholder = "[unknown]"
)

// Plain converts a property map to plain Go values (map[string]any,
// []any, string, bool, int for integral numbers, float64, nil) for YAML/JSON
// output: goldens, the CLI's inventory. Secrets become SecretPlaceholder and
// unknowns UnknownPlaceholder, so a dump never leaks a secret.
func Plain(m property.Map) map[string]any {
	out := make(map[string]any, m.Len())
	for k, v := range m.All {
		out[k] = PlainValue(v)
	}
	return out
}

// PlainValue is Plain for one value.
func PlainValue(v property.Value) any {
	switch {
	case v.Secret():
		return SecretPlaceholder
	case v.IsComputed():
		return UnknownPlaceholder
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.AsBool()
	case v.IsNumber():
		n := v.AsNumber()
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int(n)
		}
		return n
	case v.IsString():
		return v.AsString()
	case v.IsArray():
		arr := v.AsArray()
		out := make([]any, 0, arr.Len())
		for _, e := range arr.All {
			out = append(out, PlainValue(e))
		}
		return out
	case v.IsMap():
		return Plain(v.AsMap())
	case v.IsResourceReference():
		return "[resource " + string(v.AsResourceReference().URN) + "]"
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	}
	return nil
}
