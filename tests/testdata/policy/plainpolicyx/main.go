// Command plainpolicyx is a minimal pack served by policyx.Main, kept to
// show (tests/policycli_test.go) that `pulumi policy analyze` cannot run such
// a pack: policyx creates the pack only in ConfigureStack, which
// `policy analyze` never calls, so GetPluginInfo dereferences a nil pack.
// Headroom's pack serves the Analyzer itself for that reason.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func main() {
	err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) {
		return policyx.NewPolicyPack("plain", semver.MustParse("0.0.1"), policyx.EnforcementLevelAdvisory, []policyx.Policy{
			policyx.NewResourceValidationPolicy("noop", policyx.ResourceValidationPolicyArgs{
				Description:      "does nothing",
				EnforcementLevel: policyx.EnforcementLevelAdvisory,
				ValidateResource: func(context.Context, policyx.ResourceValidationArgs) error { return nil },
			}),
		})
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
