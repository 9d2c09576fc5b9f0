// warren's policy pack: `pulumi preview --policy-pack policies --policy-pack-config
// policies/<environment>.json`. The rules live in ./rules (importable without this file, which
// starts the policy server when constructed).
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";

new PolicyPack("warren", {
  description:
    "RabbitMQ for the alerting platform: security, durability, cluster, consumers and routing rules.",
  // Each environment's JSON config sets the levels; without one, everything is advisory.
  enforcementLevel: "advisory",
  policies: [...RULES],
});
