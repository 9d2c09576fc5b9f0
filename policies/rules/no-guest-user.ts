// Security: no `guest` user, and no user whose password is a default one.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, objectsOf } from "../lib/resources";

const DEFAULT_PASSWORDS = new Set(["guest", "admin", "password", "rabbitmq", "changeme"]);

export const noGuestUser: ResourceValidationPolicy = {
  name: "no-guest-user",
  description: "No `guest` user and no default credentials on the broker.",
  severity: "critical",
  remediationSteps:
    "Remove the `guest` user and give every user a generated password (warren generates one when none is given).",
  validateResource: (args, report) => {
    for (const { props: user } of objectsOf(args, T.user)) {
      const name = user.name;
      // A generated password is unknown during preview, and reading an unknown value throws.
      let password: unknown;
      try {
        password = user.password;
      } catch {
        password = undefined;
      }
      if (name === "guest") report(`user "guest" must not exist (default credentials)`);
      else if (
        typeof password === "string" &&
        (password === name || DEFAULT_PASSWORDS.has(password.toLowerCase()))
      )
        report(`user "${String(name)}" has a default or guessable password`);
    }
  },
};
