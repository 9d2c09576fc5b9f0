// RabbitMQ's management HTTP API, as the topology's dynamic providers call it
// (https://www.rabbitmq.com/docs/http-api-reference). Node's http and https modules only: the
// providers that use it are serialized into the state and run later by Pulumi's dynamic-provider
// host. (Not fetch: it cannot be given a CA to trust without the undici package.)
import * as http from "node:http";
import * as https from "node:https";

export interface ManagementConnection {
  /** e.g. http://127.0.0.1:15672, or https://127.0.0.1:15672 with `warren:cluster.tls` on */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /**
   * For an https URL: the CA (PEM) the API's certificate must chain to, e.g. the cluster's own.
   * Without it, the system's CAs. The certificate is always verified.
   */
  readonly ca?: string;
}

export type Method = "GET" | "PUT" | "POST" | "DELETE";

/** A call whose connection is silent this long fails (the default). */
const TIMEOUT_MS = 120_000;

interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
}

function send(
  c: ManagementConnection,
  method: Method,
  url: URL,
  body: string | undefined,
  timeoutMs: number,
): Promise<Answer> {
  const auth = Buffer.from(`${c.username}:${c.password}`).toString("base64");
  const options: https.RequestOptions = {
    method,
    headers: { authorization: `Basic ${auth}`, "content-type": "application/json" },
    ...(c.ca === undefined ? {} : { ca: c.ca }),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? https : http).request(url, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text }),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** One call below `/api/`; a path's parts are encoded by the caller (see `apiPath`). */
export async function callApi(
  c: ManagementConnection,
  method: Method,
  path: string,
  body?: unknown,
  opts: { readonly missingOk?: boolean; readonly timeoutMs?: number } = {},
): Promise<unknown> {
  const url = `${c.url.replace(/\/+$/, "")}/api/${path}`;
  let res: Answer;
  try {
    res = await send(
      c,
      method,
      new URL(url),
      body === undefined ? undefined : JSON.stringify(body),
      opts.timeoutMs ?? TIMEOUT_MS,
    );
  } catch (e) {
    throw new Error(
      `RabbitMQ management API at ${c.url} is unreachable (${method} /api/${path}): ${(e as Error).message}`,
    );
  }
  if (res.status === 404 && opts.missingOk) return undefined;
  if (res.status < 200 || res.status > 299)
    throw new Error(
      `${method} ${c.url}/api/${path}: ${res.status} ${res.statusText}: ${res.text.slice(0, 400)}`,
    );
  return res.text ? (JSON.parse(res.text) as unknown) : undefined;
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
