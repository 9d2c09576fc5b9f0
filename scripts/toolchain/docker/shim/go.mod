// The bridge needs the upstream provider's *schema.Provider, which lives in an internal package
// (internal/provider). Go lets a package import internal/... only from under the same import-path
// prefix, so this tiny module claims the path github.com/terraform-providers/terraform-provider-docker/shim
// (pulumi-docker does the same: provider/shim) and the wrapper module replaces it with this folder.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.25.8

require (
	github.com/hashicorp/terraform-plugin-sdk/v2 v2.40.1
	github.com/terraform-providers/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4
)
