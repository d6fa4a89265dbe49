// Command headroom-policies is Headroom's Pulumi policy pack.
//
// Run it through the Pulumi CLI, from source or as a prebuilt binary:
//
//	pulumi preview --policy-pack policies --policy-pack-config policies/config/staging.json
//	go build -o policies/bin/headroom-policies ./policies
//	pulumi policy analyze --stack staging --policy-pack policies/bin/headroom-policies \
//	    --policy-pack-config policies/config/staging.json
//
// The engine starts it, reads the port it prints, and talks the Analyzer
// gRPC protocol. The server (policies/analyzer) wraps the policyx policies
// of policies/pack so that `pulumi policy analyze`, which never calls
// ConfigureStack, works too (plain policyx.Main crashes there).
package main

import (
	"fmt"
	"os"

	"github.com/headroom-dev/headroom/policies/analyzer"
)

func main() {
	err := analyzer.Main(func(port int) {
		// The analyzer protocol: the first line on stdout is the port.
		fmt.Printf("%d\n", port)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
