package main

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// nativeOnly are the @pulumi/docker@4.6.2 resources that pulumi-docker implements natively (Go code
// next to the bridge, building images with BuildKit), not through Terraform: there is nothing to
// bridge, and their implementation lives in the module that is not downloadable here.
var nativeOnly = map[string]bool{
	"docker:index/image:Image":  true,
	"docker:buildx/image:Image": true,
}

// withoutNativeImages answers a registration of a native-only resource with an error that says
// what to do instead, rather than the bridge's "unrecognized resource type". Check is the first call
// the engine makes for every resource, in preview and in up alike.
type withoutNativeImages struct {
	pulumirpc.ResourceProviderServer
}

func (s withoutNativeImages) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if t := string(resource.URN(req.GetUrn()).Type()); nativeOnly[t] {
		return nil, status.Error(codes.Unimplemented, fmt.Sprintf(
			"%s (building images) is not available in warren's own pulumi-resource-docker %s: pulumi-docker implements it "+
				"natively, not through the Terraform provider, and its module cannot be downloaded here. Build the image "+
				"with scripts/images/build.sh (or `docker build`) and reference it with docker.RemoteImage "+
				"{name: \"<tag>\", keepLocally: true}", t, version))
	}
	return s.ResourceProviderServer.Check(ctx, req)
}
