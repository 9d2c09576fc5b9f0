// Config fixtures for tests: a small valid config to corrupt one field at a time.
import { parseWarrenConfig, type ParseResult } from "../../components/config/spec";

/** A valid config exercising every topology object kind (full `warren:` keys). */
export function baseConfig(): Record<string, unknown> {
  return {
    "warren:environment": "dev",
    "warren:broker": { managementUrl: "http://127.0.0.1:15672", username: "admin", password: "s3cret-admin" },
    "warren:topology": {
      vhosts: [{ name: "alerting" }, { name: "audit", description: "audit trail", limits: { maxQueues: 10 } }],
      users: [{ name: "app", tags: ["management"] }, { name: "watcher", tags: ["monitoring"] }],
      permissions: [{ user: "app", vhost: "alerting", configure: "^$", write: "^alerts$", read: "^work$" }],
      topicPermissions: [{ user: "app", vhost: "alerting", exchange: "alerts", write: "^info\\.", read: "^$" }],
      exchanges: [
        { name: "alerts", vhost: "alerting", type: "topic", alternateExchange: "unrouted" },
        { name: "unrouted", vhost: "alerting", type: "fanout" },
        { name: "dlx", vhost: "alerting", type: "direct" },
        { name: "by-header", vhost: "alerting", type: "headers" },
      ],
      queues: [
        { name: "work", vhost: "alerting", type: "quorum", arguments: { "x-delivery-limit": 5 } },
        { name: "lost", vhost: "alerting", arguments: { "x-message-ttl": 60000, "x-dead-letter-exchange": "dlx" } },
      ],
      bindings: [
        { vhost: "alerting", source: "alerts", destination: "work", routingKey: "info.#" },
        { vhost: "alerting", source: "unrouted", destination: "lost" },
        { vhost: "alerting", source: "by-header", destination: "work", arguments: { "x-match": "any", team: "ops" } },
      ],
      policies: [
        { name: "work-limits", vhost: "alerting", pattern: "^work$", applyTo: "queues", definition: { "max-length": 1000, overflow: "reject-publish" } },
      ],
      operatorPolicies: [
        { name: "cap", vhost: "alerting", pattern: ".*", applyTo: "queues", definition: { "max-length": 100000 } },
      ],
    },
  };
}

type Json = Record<string, unknown>;

/** A copy of `config` with `key`'s value changed by `edit` (which mutates its argument). */
export function withTopology(edit: (t: Json & Record<string, Json[]>) => void, config = baseConfig()): Record<string, unknown> {
  const copy = structuredClone(config);
  edit(copy["warren:topology"] as Json & Record<string, Json[]>);
  return copy;
}

/** The formatted error lines for a config, or [] when it is valid. */
export function errorsOf(config: Record<string, unknown>): string[] {
  const r: ParseResult = parseWarrenConfig(config);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}
