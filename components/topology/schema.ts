// The shape of `warren:topology`: the broker objects a stack declares, one strict zod schema per
// kind (unknown keys are errors). Rules across objects are in validate.ts.
import { z } from "zod";
import { EXCHANGE_TYPES, POLICY_APPLY_TO, QUEUE_TYPES } from "./spec";

/** A non-empty name (also used by the other domains' schemas). */
export const name = z.string().min(1, "must not be empty");
const regex = z.string();
const argValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(argValue), z.record(argValue)]),
);
const args = z.record(argValue);

export const vhostSchema = z
  .object({
    name,
    description: z.string().optional(),
    defaultQueueType: z.enum(QUEUE_TYPES).optional(),
    limits: z
      .object({
        maxConnections: z.number().int().min(0).optional(),
        maxQueues: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const userSchema = z.object({ name, tags: z.array(z.string()).default([]) }).strict();

export const permissionSchema = z
  .object({ user: name, vhost: name, configure: regex, write: regex, read: regex })
  .strict();

export const topicPermissionSchema = z
  .object({ user: name, vhost: name, exchange: name, write: regex, read: regex })
  .strict();

export const exchangeSchema = z
  .object({
    name,
    vhost: name,
    type: z.enum(EXCHANGE_TYPES),
    durable: z.boolean().default(true),
    autoDelete: z.boolean().default(false),
    internal: z.boolean().default(false),
    alternateExchange: z.string().optional(),
    arguments: args.default({}),
  })
  .strict();

export const queueSchema = z
  .object({
    name,
    vhost: name,
    type: z.enum(QUEUE_TYPES).optional(),
    durable: z.boolean().default(true),
    autoDelete: z.boolean().default(false),
    arguments: args.default({}),
  })
  .strict();

export const bindingSchema = z
  .object({
    vhost: name,
    source: z.string(),
    destination: name,
    destinationType: z.enum(["queue", "exchange"]).default("queue"),
    routingKey: z.string().default(""),
    arguments: args.default({}),
  })
  .strict();

export const policySchema = z
  .object({
    name,
    vhost: name,
    pattern: regex,
    applyTo: z.enum(POLICY_APPLY_TO),
    priority: z.number().int().default(0),
    definition: args,
  })
  .strict();

export const topologySchema = z
  .object({
    vhosts: z.array(vhostSchema).default([]),
    users: z.array(userSchema).default([]),
    permissions: z.array(permissionSchema).default([]),
    topicPermissions: z.array(topicPermissionSchema).default([]),
    exchanges: z.array(exchangeSchema).default([]),
    queues: z.array(queueSchema).default([]),
    bindings: z.array(bindingSchema).default([]),
    policies: z.array(policySchema).default([]),
    operatorPolicies: z.array(policySchema).default([]),
  })
  .strict();
