// Config fixtures for tests: a small valid config to corrupt one field at a time, and its errors
// (or warren:cluster's) as the path-addressed lines a user sees.
import {
  type ClusterConfig,
  type PreviousCluster,
  clusterSchema,
  validateCluster,
} from "../../components/cluster";
import { type ConfigIssue, formatIssue } from "../../components/core/issues";
import type { Environment } from "../../components/core/environment";
import { parseWarrenConfig } from "../../components/config/spec";

/** A valid config exercising every topology object kind (full `warren:` keys). */
export function baseConfig(): Record<string, unknown> {
  return {
    "warren:environment": "dev",
    "warren:broker": {
      managementUrl: "http://127.0.0.1:15672",
      username: "admin",
      password: "s3cret-admin",
    },
    "warren:topology": {
      vhosts: [
        { name: "alerting" },
        { name: "audit", description: "audit trail", limits: { maxQueues: 10 } },
      ],
      users: [
        { name: "app", tags: ["management"] },
        { name: "watcher", tags: ["monitoring"] },
      ],
      permissions: [
        { user: "app", vhost: "alerting", configure: "^$", write: "^alerts$", read: "^work$" },
      ],
      topicPermissions: [
        { user: "app", vhost: "alerting", exchange: "alerts", write: "^info\\.", read: "^$" },
      ],
      exchanges: [
        { name: "alerts", vhost: "alerting", type: "topic", alternateExchange: "unrouted" },
        { name: "unrouted", vhost: "alerting", type: "fanout" },
        { name: "dlx", vhost: "alerting", type: "direct" },
        { name: "by-header", vhost: "alerting", type: "headers" },
      ],
      queues: [
        { name: "work", vhost: "alerting", type: "quorum", arguments: { "x-delivery-limit": 5 } },
        {
          name: "lost",
          vhost: "alerting",
          arguments: { "x-message-ttl": 60000, "x-dead-letter-exchange": "dlx" },
        },
      ],
      bindings: [
        { vhost: "alerting", source: "alerts", destination: "work", routingKey: "info.#" },
        { vhost: "alerting", source: "unrouted", destination: "lost" },
        {
          vhost: "alerting",
          source: "by-header",
          destination: "work",
          arguments: { "x-match": "any", team: "ops" },
        },
      ],
      policies: [
        {
          name: "work-limits",
          vhost: "alerting",
          pattern: "^work$",
          applyTo: "queues",
          definition: { "max-length": 1000, overflow: "reject-publish" },
        },
      ],
      operatorPolicies: [
        {
          name: "cap",
          vhost: "alerting",
          pattern: ".*",
          applyTo: "queues",
          definition: { "max-length": 100000 },
        },
      ],
    },
  };
}

type Json = Record<string, unknown>;

/** A copy of `config` with `key`'s value changed by `edit` (which mutates its argument). */
export function withTopology(
  edit: (t: Json & Record<string, Json[]>) => void,
  config = baseConfig(),
): Record<string, unknown> {
  const copy = structuredClone(config);
  edit(copy["warren:topology"] as Json & Record<string, Json[]>);
  return copy;
}

/** The issues of a whole config (full `warren:` keys), as components/config reports them. */
export function configIssues(config: Record<string, unknown>): readonly ConfigIssue[] {
  const r = parseWarrenConfig(config);
  return r.ok ? [] : r.issues;
}

/** validateCluster as a check for errorsOf: a warren:cluster config in `environment`, after `previous`. */
export function clusterIssues(
  environment: Environment = "dev",
  previous?: PreviousCluster,
): (config: ClusterConfig) => readonly ConfigIssue[] {
  return (config) => validateCluster(clusterSchema.parse(config), environment, previous);
}

/** The `path: message` lines of what `check` finds in `config` (a whole config by default), or [] when it is valid. */
export function errorsOf(config: Record<string, unknown>): string[];
export function errorsOf<C>(config: C, check: (config: C) => readonly ConfigIssue[]): string[];
export function errorsOf(config: Record<string, unknown>, check = configIssues): string[] {
  return check(config).map(formatIssue);
}
