// The shape of `warren:alerting`: severities, channels, retry delays and the alerting users, with
// the defaults documented in README. The model built from it is in model.ts.
import { z } from "zod";
import { name } from "../topology/schema";

/** `5s`, `30s`, `5m`, `1h`, `250ms`, or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration like "5s", "30s", "5m", "1h" or "250ms"'),
]);

export const channelSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]*$/,
        "must be lower-case letters, digits and dashes, starting with a letter",
      ),
    minSeverity: z.string(),
    queueType: z.enum(["classic", "quorum"]).optional(),
    maxLength: z.number().int().positive().optional(),
  })
  .strict();

export const alertingSchema = z
  .object({
    enabled: z.boolean().default(true),
    vhost: name.default("alerting"),
    exchange: name.default("alerts"),
    severities: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"))
      .optional(),
    channels: z.array(channelSchema).optional(),
    queueType: z.enum(["classic", "quorum"]).default("quorum"),
    maxLength: z.number().int().positive().default(100_000),
    parkedMaxLength: z.number().int().positive().default(1_000_000),
    retry: z
      .object({ delays: z.array(durationSchema).default(["5s", "30s", "5m"]) })
      .strict()
      .default({}),
    users: z
      .object({
        producer: name.default("alerts-producer"),
        consumerPrefix: name.default("alerts-consumer-"),
        monitoring: name.default("alerts-monitor"),
      })
      .strict()
      .default({}),
  })
  .strict();

export type AlertingConfig = z.output<typeof alertingSchema>;
