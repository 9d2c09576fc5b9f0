// Package shim exposes the Terraform docker provider's SDKv2 provider (an internal package of
// github.com/kreuzwerker/terraform-provider-docker) to the bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the SDKv2 half of the upstream provider, which holds every resource and data
// source warren uses (container, image, network, volume, ...). The plugin-framework half (compose
// resources, a containers data source, actions) is not bridged.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
