// Command pulumi-resource-docker is our own build of the Pulumi "docker" resource provider: the
// Pulumi Terraform bridge around the SDKv2 half of the upstream Terraform provider
// (github.com/kreuzwerker/terraform-provider-docker, the only version the module proxy here has:
// a pseudo-version just after v4.6.0), serving the wire contract of the npm SDK @pulumi/docker@4.6.2.
//
// Why it exists: the published provider module (github.com/pulumi/pulumi-docker/provider/v4) is not
// downloadable from the module proxy reachable here, and plugin tarballs are not downloaded at run
// time. Its ProviderInfo is re-stated here (reference: pulumi/pulumi-docker provider/resources.go).
//
// Not served (README.md in this folder lists every gap):
//   - the native resource of pulumi-docker's "hybrid" provider, docker:index/image:Image (image
//     builds; later SDKs add docker:buildx/image:Image), which upstream implements in Go next to the
//     bridge, not through Terraform; the plugin rejects it with a message that says what to do
//     (native.go);
//   - the Terraform provider's plugin-framework half (compose, actions), which @pulumi/docker@4.6.2
//     never had.
//
// The Terraform schema is v4.6 while @pulumi/docker@4.6.2 was generated from the Terraform provider
// v3.0.2: what differs is patched (compat.go) or listed (check-sdk.js prints every difference).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// version is the provider version we claim to be. The engine looks up the plugin "docker" at the
// version the npm SDK declares (package.json "pulumi": {"version": "4.6.2"}) and records the version
// GetPluginInfo returns in the state, so we answer with the same one. Overridable at build time with
// -ldflags "-X main.version=...".
var version = "4.6.2"

const (
	pkgName = "docker"
	mainMod = "index" // every bridged token lives in "index": docker:index/<file>:<Name>
)

func providerInfo() tfbridge.ProviderInfo {
	tf := shim.NewProvider(version)
	patchTerraformSchema(tf)
	p := shimv2.NewProvider(tf)

	info := tfbridge.ProviderInfo{
		P:           p,
		Name:        pkgName,
		Version:     version,
		Description: "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:    []string{"pulumi", "docker"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:   "kreuzwerker",

		// Provider configuration (docker:host, docker:registryAuth, ...). As upstream: `host` falls back
		// to DOCKER_HOST (the Terraform provider itself then defaults to the local socket).
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"DOCKER_HOST"}}},
			"registry_auth": {
				Name:        "registryAuth", // a list, but singular in the SDK
				MaxItemsOne: tfbridge.False(),
			},
		},

		// Tokens exactly as in the npm SDK.
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: tfbridge.MakeResource(pkgName, mainMod, "ServiceConfig")},
			"docker_container": {
				Tok: tfbridge.MakeResource(pkgName, mainMod, "Container"),
				// A container's name must be unique, so a replacement can only start once the old one is
				// gone (upstream sets the same).
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// Lists that the SDK keeps singular: one command; several networks.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    tfbridge.MakeResource(pkgName, mainMod, "RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}, // no auto-naming: it is the image reference
			},
			"docker_network":        {Tok: tfbridge.MakeResource(pkgName, mainMod, "Network")},
			"docker_plugin":         {Tok: tfbridge.MakeResource(pkgName, mainMod, "Plugin")},
			"docker_registry_image": {Tok: tfbridge.MakeResource(pkgName, mainMod, "RegistryImage")},
			"docker_secret":         {Tok: tfbridge.MakeResource(pkgName, mainMod, "Secret")},
			"docker_service":        {Tok: tfbridge.MakeResource(pkgName, mainMod, "Service")},
			"docker_tag":            {Tok: tfbridge.MakeResource(pkgName, mainMod, "Tag")},
			"docker_volume":         {Tok: tfbridge.MakeResource(pkgName, mainMod, "Volume")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image":          {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getRemoteImage")},
			"docker_logs":           {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getLogs")},
			"docker_network":        {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getNetwork")},
			"docker_plugin":         {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getPlugin")},
			"docker_registry_image": {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getRegistryImage")},
		},

		// Added to the Terraform provider after v3.0.2: @pulumi/docker@4.6.2 has no token for them.
		IgnoreMappings: []string{"docker_buildx_builder", "docker_registry_image_manifests"},

		// Only used for SDK generation; kept so the generated schema resembles upstream's.
		JavaScript: &tfbridge.JavaScriptInfo{
			Dependencies:    map[string]string{"@pulumi/pulumi": "^3.0.0", "semver": "^5.4.0"},
			DevDependencies: map[string]string{"@types/node": "^10.0.0", "@types/semver": "^5.4.0"},
		},
		CSharp: &tfbridge.CSharpInfo{
			PackageReferences: map[string]string{"Pulumi": "3.*"},
			Namespaces:        map[string]string{pkgName: "Docker"},
		},
	}

	// As upstream: every resource with an optional `name` input is auto-named (resource name + random
	// suffix) when the program does not set it; fields mapped above (RemoteImage's name) are skipped.
	info.SetAutonaming(255, "-")
	return info
}

// generateSchema produces the Pulumi package schema for info in memory, with the bridge's own
// schema generator, using only the descriptions in the Terraform schema (no docs checkout).
func generateSchema(info tfbridge.ProviderInfo) ([]byte, error) {
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	res, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(res.PackageSpec)
}

func main() {
	if len(os.Args) == 2 {
		switch os.Args[1] {
		case "-version", "--version":
			// Answered before the schema is generated: scripts/toolchain.sh asks every run.
			fmt.Println(version)
			return
		case "schema":
			// `pulumi-resource-docker schema` writes the generated schema to stdout (to check tokens and
			// property names against the npm SDK); it is not part of the plugin protocol.
			b, err := generateSchema(providerInfo())
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			os.Stdout.Write(append(b, '\n'))
			return
		}
	}

	info := providerInfo()
	schema, err := generateSchema(info)
	if err != nil {
		fmt.Fprintf(os.Stderr, "generating the docker schema: %v\n", err)
		os.Exit(1)
	}
	// What tfbridge.Main does (its flags aside), with the bridge's server wrapped so that the native
	// image resources fail with a useful message (native.go).
	ctx := context.Background()
	info.P.InitLogging(ctx)
	err = provider.Main(pkgName, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return withoutNativeImages{tfbridge.NewProvider(ctx, host, pkgName, version, info.P, info, schema)}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
