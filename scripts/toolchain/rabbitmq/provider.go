// Command pulumi-resource-rabbitmq is our own build of the Pulumi "rabbitmq" resource provider: the
// Pulumi Terraform bridge wrapped around the upstream Terraform provider
// (github.com/cyrilgdn/terraform-provider-rabbitmq v1.8.0).
//
// Why it exists: the published provider module (github.com/pulumi/pulumi-rabbitmq/provider/v3) is
// not downloadable from the module proxy reachable here, and plugin tarballs are not downloaded at
// run time. Its ingredients are available at the versions pulumi-rabbitmq v3.3.x pins, so this file
// re-states its ProviderInfo (reference: pulumi/pulumi-rabbitmq provider/resources.go and
// cmd/pulumi-resource-rabbitmq/main.go). What must match the npm SDK @pulumi/rabbitmq@3.3.8 is the
// wire contract: resource and function tokens, property names, provider config keys and secrets.
// Property names and nested types come from the bridge's standard TF->Pulumi name mapping
// (arguments_json -> argumentsJson, ...), exactly as for the published provider; only tokens and a
// few overrides need spelling out.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/terraform-providers/terraform-provider-rabbitmq/rabbitmq"
)

// version is the provider version we claim to be. The engine looks up the plugin "rabbitmq" at the
// version the npm SDK declares (package.json "pulumi": {"version": "3.3.8"}), and reports the
// version GetPluginInfo returns in the state file, so we answer with the same one. Overridable at
// build time with -ldflags "-X main.version=...".
var version = "3.3.8"

const (
	pkgName = "rabbitmq"
	mainMod = "index" // every token lives in the "index" module: rabbitmq:index/<file>:<Name>
)

// providerInfo maps the Terraform provider onto the Pulumi package "rabbitmq" the way
// pulumi-rabbitmq v3.3.8 does.
func providerInfo() tfbridge.ProviderInfo {
	p := shimv2.NewProvider(rabbitmq.Provider())

	info := tfbridge.ProviderInfo{
		P:           p,
		Name:        pkgName,
		Version:     version,
		Description: "A Pulumi package for creating and managing RabbitMQ resources.",
		Keywords:    []string{"pulumi", "rabbitmq"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-rabbitmq",
		GitHubOrg:   "cyrilgdn",

		// Provider configuration (rabbitmq:endpoint, rabbitmq:username, ...; explicit Provider
		// resources use the same names). The Terraform provider reads RABBITMQ_* defaults itself;
		// these two are also surfaced in the schema as upstream does. The password is a secret.
		Config: map[string]*tfbridge.SchemaInfo{
			"cacert_file": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"RABBITMQ_CACERT"}}},
			"insecure":    {Default: &tfbridge.DefaultInfo{EnvVars: []string{"RABBITMQ_INSECURE"}}},
			"password":    {Secret: tfbridge.True()},
		},

		// Tokens exactly as in the npm SDK (e.g. rabbitmq:index/vHost:VHost, not .../vhost:Vhost).
		Resources: map[string]*tfbridge.ResourceInfo{
			"rabbitmq_binding":             {Tok: tfbridge.MakeResource(pkgName, mainMod, "Binding")},
			"rabbitmq_exchange":            {Tok: tfbridge.MakeResource(pkgName, mainMod, "Exchange")},
			"rabbitmq_federation_upstream": {Tok: tfbridge.MakeResource(pkgName, mainMod, "FederationUpstream")},
			"rabbitmq_operator_policy":     {Tok: tfbridge.MakeResource(pkgName, mainMod, "OperatorPolicy")},
			"rabbitmq_permissions": {
				Tok: tfbridge.MakeResource(pkgName, mainMod, "Permissions"),
				// Only changes the .NET property name (a class cannot have a member named like itself).
				Fields: map[string]*tfbridge.SchemaInfo{"permissions": {CSharpName: "PermissionDetails"}},
			},
			"rabbitmq_policy": {
				Tok:    tfbridge.MakeResource(pkgName, mainMod, "Policy"),
				Fields: map[string]*tfbridge.SchemaInfo{"policy": {CSharpName: "PolicyBlock"}},
			},
			"rabbitmq_queue":             {Tok: tfbridge.MakeResource(pkgName, mainMod, "Queue")},
			"rabbitmq_shovel":            {Tok: tfbridge.MakeResource(pkgName, mainMod, "Shovel")},
			"rabbitmq_topic_permissions": {Tok: tfbridge.MakeResource(pkgName, mainMod, "TopicPermissions")},
			"rabbitmq_user":              {Tok: tfbridge.MakeResource(pkgName, mainMod, "User")},
			"rabbitmq_vhost":             {Tok: tfbridge.MakeResource(pkgName, mainMod, "VHost")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"rabbitmq_exchange": {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getExchange")},
			"rabbitmq_user":     {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getUser")},
			"rabbitmq_vhost":    {Tok: tfbridge.MakeDataSource(pkgName, mainMod, "getVHost")},
		},

		// Only used for SDK generation; kept so the generated schema matches upstream's.
		JavaScript: &tfbridge.JavaScriptInfo{
			Dependencies:    map[string]string{"@pulumi/pulumi": "^3.0.0"},
			DevDependencies: map[string]string{"@types/node": "^10.0.0", "@types/mime": "^2.0.0"},
		},
		CSharp: &tfbridge.CSharpInfo{
			PackageReferences: map[string]string{"Pulumi": "3.*"},
			Namespaces:        map[string]string{pkgName: "RabbitMQ"},
		},
	}

	// As upstream: every resource whose Terraform schema has an input `name` gets Pulumi
	// auto-naming (resource name + random suffix, max 255 chars) when `name` is not given. When the
	// program sets `name`, that exact name is used.
	for tfName, res := range info.Resources {
		sch, ok := p.ResourcesMap().GetOk(tfName)
		if !ok {
			panic(fmt.Sprintf("resource %s is not in the Terraform provider", tfName))
		}
		if f, has := sch.Schema().GetOk("name"); has && (f.Optional() || f.Required()) {
			if res.Fields == nil {
				res.Fields = map[string]*tfbridge.SchemaInfo{}
			}
			if _, set := res.Fields["name"]; !set {
				res.Fields["name"] = tfbridge.AutoName("name", 255, "-")
			}
		}
	}
	return info
}

// generateSchema produces the Pulumi package schema for info in memory, with the bridge's own
// schema generator (the code path behind `pulumi-tfgen-rabbitmq schema`), using only the
// descriptions in the Terraform schema (XInMemoryDocs: no docs checkout is looked for). Diagnostics
// about missing docs are discarded.
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
			// `pulumi-resource-rabbitmq schema` writes the generated schema to stdout (to check tokens
			// and property names against the npm SDK); it is not part of the plugin protocol.
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
		fmt.Fprintf(os.Stderr, "generating the rabbitmq schema: %v\n", err)
		os.Exit(1)
	}
	tfbridge.Main(pkgName, version, info, schema)
}
