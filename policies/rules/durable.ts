// Durability: exchanges and queues survive a broker restart.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../lib/resources";

export const durable: ResourceValidationPolicy = {
  name: "durable-exchanges-and-queues",
  description:
    "Exchanges and queues are durable (the rabbitmq provider defaults exchanges to non-durable).",
  severity: "high",
  remediationSteps: "Leave `durable` at warren's default (true).",
  validateResource: (args, report) => {
    if (args.type !== T.exchange && args.type !== T.queue) return;
    if (args.props.settings?.durable !== true)
      report(
        `${args.type === T.exchange ? "exchange" : "queue"} "${args.props.name}" in vhost "${args.props.vhost}" is not durable`,
      );
  },
};
