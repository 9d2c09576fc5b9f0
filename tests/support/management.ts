// The RabbitMQ management API and AMQP URLs the way every test broker and node is reached: basic
// auth as one user, JSON bodies, credentials and vhost URL-encoded.
import { amqpUrl as consumerAmqpUrl } from "../../components/alerting/consumer-plan";

export interface ManagementApi {
  /** A management API call; `apiPath` starts with `/api/`. */
  mgmt(apiPath: string, init?: RequestInit): Promise<Response>;
  /** A management API call that must succeed (2xx); returns the parsed body, if any. */
  mgmtJson<T = unknown>(apiPath: string, init?: RequestInit): Promise<T>;
}

/** The management API at `baseUrl` (e.g. `http://127.0.0.1:15672`) as `user`. */
export function managementApi(baseUrl: string, user: string, password: string): ManagementApi {
  const auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
  const mgmt = (apiPath: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("authorization", auth);
    if (init.body !== undefined && !headers.has("content-type")) {
      headers.set("content-type", "application/json");
    }
    return fetch(baseUrl + apiPath, { ...init, headers });
  };
  return {
    mgmt,
    async mgmtJson<T>(apiPath: string, init?: RequestInit): Promise<T> {
      const res = await mgmt(apiPath, init);
      const text = await res.text();
      if (!res.ok) {
        throw new Error(
          `${init?.method ?? "GET"} ${baseUrl}${apiPath}: HTTP ${res.status} ${text}`,
        );
      }
      return (text === "" ? undefined : JSON.parse(text)) as T;
    },
  };
}

/** `amqp://user:pass@hostPort/vhost`, every part encoded (the consumers' own amqpUrl). */
export function amqpUrl(hostPort: string, user: string, password: string, vhost = "/"): string {
  return consumerAmqpUrl(user, password, hostPort, vhost);
}
