// zod's issues in warren's words: every message path-addressed (`warren:cluster.replicas`), with
// the value that was given and a "did you mean" for unknown keys and enum values.
import type { ZodIssue, ZodTypeAny } from "zod";
import { type ConfigIssue, show, suggest } from "../core/issues";

export const NAMESPACE = "warren";

type Path = readonly (string | number)[];

function formatPath(key: string, path: Path): string {
  let out = `${NAMESPACE}:${key}`;
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${p}`;
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${show(v)}`;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** Turns one zod issue of `schema` (the whole `warren:*` object) into path-addressed messages. */
export function fromZod(
  issue: ZodIssue,
  raw: Record<string, unknown>,
  schema: ZodTypeAny,
): ConfigIssue[] {
  const [key, ...rest] = issue.path;
  const at = () => valueAt(raw, issue.path);
  if (key === undefined) {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((k) => ({
        path: `${NAMESPACE}:${k}`,
        message: `unknown config key${suggest(k, knownKeysAt(schema, []))}`,
      }));
    return [{ path: NAMESPACE, message: issue.message }];
  }
  const path = formatPath(String(key), rest);
  switch (issue.code) {
    case "unrecognized_keys": {
      // Suggest from the keys the object does accept.
      const known = knownKeysAt(schema, issue.path);
      return issue.keys.map((k) => ({
        path: `${path}.${k}`,
        message: `unknown key${suggest(k, known)}`,
      }));
    }
    case "invalid_type":
      if (issue.received === "undefined") return [{ path, message: "is required" }];
      return [{ path, message: `must be ${article(issue.expected)}, got ${describe(at())}` }];
    case "invalid_enum_value": {
      const options = issue.options.map(String);
      const list = issue.options.map((o) => JSON.stringify(o)).join(", ");
      const hint = suggest(String(issue.received), options);
      return [{ path, message: `must be one of ${list}, got ${show(issue.received)}${hint}` }];
    }
    case "invalid_union": {
      // Report the branch that got furthest rather than zod's "Invalid input".
      const inner = issue.unionErrors
        .flatMap((e) => e.issues)
        .filter((i) => i.code !== "invalid_type");
      if (inner.length) return fromZod(inner[0], raw, schema);
      return [{ path, message: `has the wrong type (${describe(at())})` }];
    }
    case "too_small":
      if (issue.type === "string")
        return [
          {
            path,
            message:
              issue.message === "must not be empty"
                ? issue.message
                : `must be at least ${issue.minimum} characters`,
          },
        ];
      return [
        {
          path,
          message: `must be at least ${issue.minimum}${issue.inclusive ? "" : " (exclusive)"}, got ${show(at())}`,
        },
      ];
    case "too_big":
      return [{ path, message: `must be at most ${issue.maximum}, got ${show(at())}` }];
    default:
      return [
        {
          path,
          message: issue.message.replace(
            /^Expected integer, received float$/,
            "must be an integer",
          ),
        },
      ];
  }
}

function valueAt(raw: Record<string, unknown>, path: Path): unknown {
  let v: unknown = raw;
  for (const p of path)
    v = v === null || typeof v !== "object" ? undefined : (v as Record<string, unknown>)[p];
  return v;
}

/** The parts of zod's internal definition that lead from a wrapper to the schema inside it. */
interface Unwrappable {
  readonly shape?: Record<string, unknown>;
  readonly _def?: {
    readonly innerType?: Unwrappable;
    readonly schema?: Unwrappable;
    readonly type?: Unwrappable;
    readonly options?: readonly Unwrappable[];
  };
}

/** The object schema inside optional/default/effects/array wrappers (and the object branch of a union). */
function unwrap(s: Unwrappable | undefined): Unwrappable | undefined {
  while (s && !s.shape && s._def)
    s = s._def.innerType ?? s._def.schema ?? s._def.type ?? s._def.options?.find((o) => o.shape);
  return s;
}

/** The keys the schema accepts for the object at `path`, for "did you mean" hints. */
function knownKeysAt(schema: ZodTypeAny, path: Path): string[] {
  let s: Unwrappable | undefined = schema as Unwrappable;
  for (const p of path) {
    s = unwrap(s);
    if (!s) return [];
    if (typeof p !== "number") s = s.shape?.[p] as Unwrappable | undefined;
  }
  s = unwrap(s);
  return s?.shape ? Object.keys(s.shape) : [];
}
