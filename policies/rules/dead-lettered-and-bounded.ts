// Durability: every queue is bounded (a full queue must push back, not grow until the broker
// blocks), and every alert channel queue has a dead-letter path (rejected alerts are parked).
import type { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { effectiveQueueSettings } from "../lib/effective";
import { matches } from "../lib/regex";
import { T, ofType } from "../lib/resources";

export const deadLetteredAndBounded: StackValidationPolicy = {
  name: "queues-bounded-and-dead-lettered",
  description:
    "Every queue has a length limit; alert channel queues have a dead-letter exchange (by argument or policy).",
  severity: "high",
  remediationSteps:
    "Set max-length (with overflow reject-publish) and dead-letter-exchange in a policy matching the queue.",
  configSchema: { properties: { channelQueuePattern: schema.channelQueuePattern } },
  validateStack: (args, report) => {
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    for (const q of ofType(args.resources, T.queue)) {
      const s = effectiveQueueSettings(args.resources, q.props);
      const id = `queue "${String(q.props.name)}" in vhost "${String(q.props.vhost)}"`;
      if (s["max-length"] === undefined && s["max-length-bytes"] === undefined)
        report(`${id} has no length limit`, q.urn);
      if (matches(c.channelQueuePattern, String(q.props.name)) && !s["dead-letter-exchange"])
        report(`${id} has no dead-letter exchange`, q.urn);
    }
  },
};
