// Checks a policy-pack config (policies/<environment>.json) before it reaches the engine, which
// silently ignores settings for rules that do not exist (a typo would switch nothing on).
// `node bin/policies/config-check.js FILE...` exits 1 with every problem, one per line.
import { readFileSync } from "fs";
import { suggest } from "../components/core/issues";
import { RULES, type Rule } from "./rules";

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

function typeOk(schema: { type?: string }, v: unknown): boolean {
  switch (schema.type) {
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return !!v && typeof v === "object" && !Array.isArray(v);
    default:
      return true;
  }
}

export function checkPolicyConfig(
  doc: unknown,
  file: string,
  rules: readonly Rule[] = RULES,
): string[] {
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    return [`${file}: must be a JSON object of rule name → enforcement level or settings`];
  const byName = new Map(rules.map((r) => [r.name, r]));
  const problems: string[] = [];
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const at = `${file}: "${name}"`;
    if (name === "all") {
      if (!LEVELS.includes(value as string))
        problems.push(`${at}: must be one of ${LEVELS.join(", ")}`);
      continue;
    }
    const rule = byName.get(name);
    if (!rule) {
      problems.push(`${at}: no such rule${suggest(name, [...byName.keys()])}`);
      continue;
    }
    if (typeof value === "string") {
      if (!LEVELS.includes(value))
        problems.push(
          `${at}: enforcement level must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`,
        );
      continue;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${at}: must be an enforcement level or an object of settings`);
      continue;
    }
    const props = rule.configSchema?.properties ?? {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === "enforcementLevel") {
        if (!LEVELS.includes(v as string))
          problems.push(`${at}.enforcementLevel: must be one of ${LEVELS.join(", ")}`);
      } else if (!(key in props)) {
        problems.push(
          `${at}.${key}: the rule has no such setting${suggest(key, Object.keys(props))}`,
        );
      } else if (!typeOk(props[key] as { type?: string }, v)) {
        problems.push(
          `${at}.${key}: must be of type ${String((props[key] as { type?: string }).type)}`,
        );
      }
    }
  }
  return problems;
}

if (require.main === module) {
  let problems: string[] = [];
  for (const file of process.argv.slice(2)) {
    try {
      problems = problems.concat(checkPolicyConfig(JSON.parse(readFileSync(file, "utf8")), file));
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
    }
  }
  problems.forEach((p) => process.stderr.write(p + "\n"));
  process.exitCode = problems.length ? 1 : 0;
}
