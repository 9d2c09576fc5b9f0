// Test certificates made with the machine's openssl CLI: a CA, and certificates it signs (server
// ones with subject alternative names, client ones without). ECDSA P-256, valid for one day. The
// stack's own certificates are not made here (that is the runtimes' job, issue 16).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestCa extends Pem {
  /** A certificate signed by this CA (its key its own), for a server (SANs) or a client. */
  issue(name: string, sans?: readonly string[]): Pem;
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

/** A new self-signed CA whose files live in `dir`. */
export function testCa(dir: string, name: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const at = (f: string) => path.join(dir, f);
  const key = (file: string) =>
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
  key(at(`${name}.key`));
  openssl([
    ...["req", "-x509", "-new", "-key", at(`${name}.key`), "-days", "1", "-subj", `/CN=${name}`],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
    ...["-out", at(`${name}.crt`)],
  ]);
  const read = (f: string) => fs.readFileSync(at(f), "utf8");
  return {
    cert: read(`${name}.crt`),
    key: read(`${name}.key`),
    issue(leaf, sans = []) {
      key(at(`${leaf}.key`));
      openssl([
        "req",
        "-new",
        "-key",
        at(`${leaf}.key`),
        "-subj",
        `/CN=${leaf}`,
        "-out",
        at(`${leaf}.csr`),
      ]);
      const ext = at(`${leaf}.ext`);
      fs.writeFileSync(
        ext,
        [
          "basicConstraints=CA:FALSE",
          `extendedKeyUsage=${sans.length ? "serverAuth" : "clientAuth"}`,
          ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
          "",
        ].join("\n"),
      );
      openssl([
        ...["x509", "-req", "-in", at(`${leaf}.csr`), "-CA", at(`${name}.crt`)],
        ...["-CAkey", at(`${name}.key`), "-CAcreateserial", "-days", "1", "-extfile", ext],
        ...["-out", at(`${leaf}.crt`)],
      ]);
      return { cert: read(`${leaf}.crt`), key: read(`${leaf}.key`) };
    },
  };
}
