// Durability: exchanges and queues survive a broker restart.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, objectsOf } from "../lib/resources";

export const durable: ResourceValidationPolicy = {
  name: "durable-exchanges-and-queues",
  description:
    "Exchanges and queues are durable (the rabbitmq provider defaults exchanges to non-durable).",
  severity: "high",
  remediationSteps: "Leave `durable` at warren's default (true).",
  validateResource: (args, report) => {
    for (const { type, props: x } of objectsOf(args, T.exchange, T.queue))
      if (x.settings?.durable !== true)
        report(
          `${type === T.exchange ? "exchange" : "queue"} "${String(x.name)}" in vhost "${String(x.vhost)}" is not durable`,
        );
  },
};
