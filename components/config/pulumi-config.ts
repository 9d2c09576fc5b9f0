// Reads the stack's `warren:*` config from the running Pulumi program, once, into the typed spec.
// A bad config ends the program with every path-addressed error and no stack trace, before any
// resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../core/issues";
import { type BrokerSpec, type WarrenSpec, loadWarrenSpec } from "./spec";

export interface ProgramConfig {
  readonly spec: WarrenSpec;
  /** The broker admin connection (external runtime only), password as a secret. */
  readonly broker?: {
    readonly managementUrl: string;
    readonly username: string;
    readonly password: pulumi.Output<string>;
    readonly insecure: boolean;
  };
  /** Explicit user passwords from `warren:passwords`, as secrets. */
  readonly passwords: Record<string, pulumi.Output<string>>;
}

export function readProgramConfig(): ProgramConfig {
  let spec: WarrenSpec;
  try {
    spec = loadWarrenSpec(pulumi.runtime.allConfig());
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const missing: string[] = [];
  // The cluster runtimes create the admin themselves (generated password).
  const broker: BrokerSpec | undefined = spec.runtime === "external" ? spec.broker : undefined;
  if (spec.runtime !== "external") {
    // nothing to check
  } else if (!broker)
    missing.push(
      `warren:broker: is required when warren:runtime is "external" (managementUrl, username, and a secret password)`,
    );
  else if (broker.password === undefined)
    missing.push(
      "warren:broker.password: is required (pulumi config set --secret --path warren:broker.password ...)",
    );
  else if (typeof broker.password !== "string")
    missing.push("warren:broker.password: could not be decrypted");
  else if (!secretKeys().includes("warren:broker"))
    missing.push(
      "warren:broker.password: must be set as a secret (pulumi config set --secret --path warren:broker.password ...)",
    );
  if (missing.length)
    throw new pulumi.RunError(
      `invalid warren configuration (${missing.length} error${missing.length > 1 ? "s" : ""}):\n  ${missing.join("\n  ")}`,
    );

  const passwords: Record<string, pulumi.Output<string>> = {};
  if (spec.passwords && !("secure" in spec.passwords))
    for (const [user, p] of Object.entries(spec.passwords)) passwords[user] = pulumi.secret(p);
  return {
    spec,
    broker: broker && {
      managementUrl: broker.managementUrl,
      username: broker.username,
      insecure: broker.insecure,
      password: pulumi.secret(broker.password as string),
    },
    passwords,
  };
}

/** The config keys the engine says hold secrets. */
function secretKeys(): string[] {
  try {
    return JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]") as string[];
  } catch {
    return [];
  }
}
