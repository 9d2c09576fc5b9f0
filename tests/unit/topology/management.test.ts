// callApi, the topology providers' management API client, against local HTTP and HTTPS servers:
// what it sends, what it returns, and how it fails. Over HTTPS the server's certificate is
// verified against the connection's CA (a test CA here), and refused when it does not chain to it.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { callApi } from "../../../components/topology/management";
import { testCa } from "../../support/certs";
import { freePorts } from "../../support/processes";
import { tempFiles } from "../../support/temp";

const { dir } = tempFiles("warren-mgmt-client-");
const ca = testCa(path.join(dir, "ca"), "mgmt-test-ca");
const other = testCa(path.join(dir, "other"), "another-ca");
const server = ca.issue("mgmt", ["IP:127.0.0.1", "DNS:localhost"]);

interface Seen {
  method?: string;
  url?: string;
  auth?: string;
  body: string;
}
const seen: Seen = { body: "" };

/** Answers /api/overview with JSON, /api/missing with 404, /api/broken with 500; records the call. */
function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  let body = "";
  req.on("data", (d: Buffer) => (body += d.toString()));
  req.on("end", () => {
    Object.assign(seen, {
      method: req.method,
      url: req.url,
      auth: req.headers.authorization,
      body,
    });
    if (req.url === "/api/overview") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ cluster_name: "rabbit@test" }));
    } else if (req.url === "/api/missing") {
      res.writeHead(404, "Not Found").end('{"error":"Object Not Found"}');
    } else if (req.url?.startsWith("/api/vhosts/")) {
      res.writeHead(201).end();
    } else {
      res.writeHead(500, "Internal Server Error").end("boom");
    }
  });
}

const servers: (http.Server | https.Server)[] = [];
const listen = (s: http.Server | https.Server) =>
  new Promise<string>((resolve) => {
    servers.push(s);
    s.listen(0, "127.0.0.1", () => resolve(String((s.address() as AddressInfo).port)));
  });

let httpUrl = "";
let httpsUrl = "";
before(async () => {
  httpUrl = `http://127.0.0.1:${await listen(http.createServer(handler))}`;
  httpsUrl = `https://127.0.0.1:${await listen(https.createServer(server, handler))}`;
});
after(() => {
  for (const s of servers) s.close();
});

const conn = (url: string, extra: object = {}) => ({
  url,
  username: "warren-admin",
  password: "p@ss:word",
  ...extra,
});

describe("callApi", () => {
  it("GETs below /api/ with basic auth and returns the JSON answer", async () => {
    assert.deepEqual(await callApi(conn(`${httpUrl}/`), "GET", "overview"), {
      cluster_name: "rabbit@test",
    });
    assert.equal(seen.url, "/api/overview");
    assert.equal(seen.auth, `Basic ${Buffer.from("warren-admin:p@ss:word").toString("base64")}`);
  });

  it("sends a body as JSON and returns undefined for an empty answer", async () => {
    assert.equal(await callApi(conn(httpUrl), "PUT", "vhosts/a%2Fb", { tags: "x" }), undefined);
    assert.deepEqual(
      [seen.method, seen.url, seen.body],
      ["PUT", "/api/vhosts/a%2Fb", '{"tags":"x"}'],
    );
  });

  it("returns undefined for a 404 when told it may be missing, and fails naming the call otherwise", async () => {
    assert.equal(
      await callApi(conn(httpUrl), "GET", "missing", undefined, { missingOk: true }),
      undefined,
    );
    await assert.rejects(
      callApi(conn(httpUrl), "DELETE", "broken"),
      new RegExp(`^Error: DELETE ${httpUrl}/api/broken: 500 Internal Server Error: boom$`),
    );
  });

  it("calls an https API whose certificate chains to the given CA", async () => {
    assert.deepEqual(await callApi(conn(httpsUrl, { ca: ca.cert }), "GET", "overview"), {
      cluster_name: "rabbit@test",
    });
  });

  it("refuses an https API whose certificate does not chain to the given CA, or to the system's", async () => {
    for (const extra of [{ ca: other.cert }, {}])
      await assert.rejects(
        callApi(conn(httpsUrl, extra), "GET", "overview"),
        new RegExp(
          `RabbitMQ management API at ${httpsUrl.replace(/\./g, "\\.")} is unreachable \\(GET /api/overview\\): (self[- ]signed certificate in certificate chain|unable to verify the first certificate)`,
        ),
      );
  });

  it("says the API is unreachable when nothing listens", async () => {
    const [port] = await freePorts(1);
    await assert.rejects(
      callApi(conn(`http://127.0.0.1:${port}`), "GET", "overview"),
      /RabbitMQ management API at http:\/\/127\.0\.0\.1:\d+ is unreachable \(GET \/api\/overview\): connect ECONNREFUSED/,
    );
  });
});
