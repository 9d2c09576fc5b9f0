// Security: the administrator tag is for the admin user(s) only.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { T, objectsOf } from "../lib/resources";

export const administratorTag: ResourceValidationPolicy = {
  name: "administrator-tag-admin-only",
  description: "Only the admin users carry the `administrator` tag.",
  severity: "high",
  remediationSteps:
    "Give applications the least tag they need (none, `monitoring` or `management`); list real admins in `adminUsers`.",
  configSchema: { properties: { adminUsers: schema.adminUsers } },
  validateResource: (args, report) => {
    const { adminUsers } = withDefaults(args.getConfig<{ adminUsers: string[] }>(), DEFAULTS);
    for (const { props: user } of objectsOf(args, T.user)) {
      const { name, tags } = user;
      if (
        (tags ?? []).includes("administrator") &&
        (name === undefined || !adminUsers.includes(name))
      )
        report(
          `user "${String(name)}" has the administrator tag but is not one of the admin users (${adminUsers.join(", ") || "none"})`,
        );
    }
  },
};
