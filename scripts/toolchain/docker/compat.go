package main

import "github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

// patchTerraformSchema bridges the gap between the Terraform provider we build on (v4.6.x) and the
// one @pulumi/docker@4.6.2 was generated from (v3.0.2), where a property the SDK can send no longer
// exists upstream. Everything else the SDK expects is still there under the same name and type
// (`node scripts/toolchain/docker/check-sdk.js` lists what differs).
func patchTerraformSchema(p *schema.Provider) {
	// docker_network.check_duplicate was removed in v4 because Docker ignores it since Engine 25
	// (API 1.44: names are always checked; https://docs.docker.com/engine/api/version-history/#v144-api-changes).
	// The SDK still offers `checkDuplicate`: accept it (ForceNew, as in v3) so programs that set it keep
	// working, and say that it has no effect. Its create function never reads it.
	if net, ok := p.ResourcesMap["docker_network"]; ok {
		if _, has := net.Schema["check_duplicate"]; !has {
			net.Schema["check_duplicate"] = &schema.Schema{
				Type:        schema.TypeBool,
				Optional:    true,
				ForceNew:    true,
				Description: "Accepted for compatibility with @pulumi/docker 4.x; ignored (Docker always checks network names since Engine 25).",
				Deprecated:  "checkDuplicate has no effect: the Docker engine always rejects duplicate network names since API 1.44",
			}
		}
	}
}
