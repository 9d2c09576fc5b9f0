// RabbitMQ's management HTTP API, as the topology's dynamic providers call it
// (https://www.rabbitmq.com/docs/http-api-reference). No imports: the providers that use it are
// serialized into the state and run later by Pulumi's dynamic-provider host.

export interface ManagementConnection {
  /** e.g. http://127.0.0.1:15672 */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export type Method = "GET" | "PUT" | "POST" | "DELETE";

/** One call below `/api/`; a path's parts are encoded by the caller (see `apiPath`). */
export async function callApi(
  c: ManagementConnection,
  method: Method,
  path: string,
  body?: unknown,
  opts: { readonly missingOk?: boolean } = {},
): Promise<unknown> {
  const url = `${c.url.replace(/\/+$/, "")}/api/${path}`;
  const auth = Buffer.from(`${c.username}:${c.password}`).toString("base64");
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Basic ${auth}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new Error(
      `RabbitMQ management API at ${c.url} is unreachable (${method} /api/${path}): ${(e as Error).message}${cause ? ` (${cause})` : ""}`,
    );
  }
  if (res.status === 404 && opts.missingOk) return undefined;
  const text = await res.text();
  if (!res.ok)
    throw new Error(
      `${method} ${c.url}/api/${path}: ${res.status} ${res.statusText}: ${text.slice(0, 400)}`,
    );
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** `/api/` path from its parts, each URI-encoded (vhost names may hold `/`). */
export function apiPath(...parts: string[]): string {
  return parts.map((p) => encodeURIComponent(p)).join("/");
}

/** Runs `f` over `items`, at most `width` at a time, and rejects with the first failure. */
export async function eachLimited<T>(
  items: readonly T[],
  width: number,
  f: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
