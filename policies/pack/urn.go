package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
)

// urnName is the name part of a URN ("urn:pulumi:s::p::t::name"), parsed by
// the Pulumi SDK; a string that is not a valid URN is returned as is.
func urnName(s string) string {
	u := urn.URN(s)
	if !u.IsValid() {
		return s
	}
	return u.Name()
}

// urnStack is the stack part of a URN, parsed by the Pulumi SDK; "" when
// the string is not a valid URN.
func urnStack(s string) string {
	u := urn.URN(s)
	if !u.IsValid() {
		return ""
	}
	return string(u.Stack())
}
