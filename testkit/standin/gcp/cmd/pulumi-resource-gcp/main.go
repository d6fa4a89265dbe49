// Command pulumi-resource-gcp is the stand-in GCP resource provider plugin
// (version 7.38.0) for end-to-end tests under the real Pulumi engine. See
// package github.com/headroom-dev/headroom/testkit/standin/gcp.
//
// The engine starts it, reads the port it listens on from the first line
// of its stdout, and talks Pulumi's ResourceProvider gRPC protocol to it.
package main

import (
	"fmt"
	"os"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/headroom-dev/headroom/testkit/standin/gcp"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println(gcp.Version)
		return
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, gcp.New())
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-gcp (stand-in): %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-gcp (stand-in): %v\n", err)
		os.Exit(1)
	}
}
