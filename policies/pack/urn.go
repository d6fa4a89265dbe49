package pack

import (
	"strings"
)

// urnName returns the name part of a URN ("urn:pulumi:s::p::t::name").
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// urnStack returns the stack part of a URN.
func urnStack(urn string) string {
	rest, ok := strings.CutPrefix(urn, "urn:pulumi:")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "::"); i >= 0 {
		return rest[:i]
	}
	return ""
}
