// Security: permissions grant only what each user needs, with anchored patterns.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { isAnchored, matches, matchesAnything } from "../lib/regex";
import { T, objectsOf } from "../lib/resources";

export const leastPrivilege: ResourceValidationPolicy = {
  name: "least-privilege-permissions",
  description:
    "Non-admin users get no `.*` configure, anchored patterns only; consumers cannot write to the alerts exchange; producers cannot read.",
  severity: "high",
  remediationSteps:
    "Anchor every pattern (`^alerts\\.sms$`, not `alerts.sms`) and grant exactly the exchanges and queues the user uses.",
  configSchema: {
    properties: {
      adminUsers: schema.adminUsers,
      producerUsers: schema.producerUsers,
      consumerUserPrefix: schema.consumerUserPrefix,
      alertsExchange: schema.alertsExchange,
    },
  },
  validateResource: (args, report) => {
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    for (const { props: grant } of objectsOf(args, T.permissions)) {
      const { user, vhost, permissions } = grant;
      if (c.adminUsers.includes(user)) continue;
      const who = `user "${user}" in vhost "${String(vhost)}"`;
      if (matchesAnything(permissions.configure))
        report(`${who} may configure everything (${JSON.stringify(permissions.configure)})`);
      for (const kind of ["configure", "write", "read"] as const)
        if (!isAnchored(permissions[kind]))
          report(
            `${who}: ${kind} pattern ${JSON.stringify(permissions[kind])} is not anchored (^...$)`,
          );
      if (user.startsWith(c.consumerUserPrefix) && matches(permissions.write, c.alertsExchange))
        report(`${who} is a consumer but may write to the alerts exchange "${c.alertsExchange}"`);
      if (c.producerUsers.includes(user) && permissions.read !== "^$")
        report(`${who} is a producer but may read (${JSON.stringify(permissions.read)}); use "^$"`);
    }
  },
};
