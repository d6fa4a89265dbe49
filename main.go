// Command headroom-program is the Pulumi program (Pulumi.yaml runtime: go).
// Everything lives in package infra; see docs/architecture.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra"
)

func main() {
	pulumi.Run(infra.Program)
}
