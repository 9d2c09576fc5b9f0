// A bad config stops the program before any resource exists, with every path-addressed error.
import assert from "node:assert/strict";
import { it } from "node:test";
import { installMocks } from "../support/mocks";
import { loadProgram as program } from "../support/program";

it("fails with all errors, as a RunError without a stack trace, and registers nothing", async () => {
  const run = installMocks(
    {
      "warren:environment": "dev",
      "warren:broker": {
        managementUrl: "http://127.0.0.1:15672",
        username: "admin",
        password: "p",
      },
      "warren:topology": { queues: [{ name: "q", vhost: "nope", typ: "quorum" }], exchnges: [] },
    },
    ["warren:broker"],
  );
  await assert.rejects(program(), (e: Error) => {
    assert.equal(e.constructor.name, "RunError");
    assert.equal(
      e.message,
      [
        "invalid warren configuration (2 errors):",
        '  warren:topology.queues[0].typ: unknown key (did you mean "type"?)',
        '  warren:topology.exchnges: unknown key (did you mean "exchanges"?)',
      ].join("\n"),
    );
    return true;
  });
  assert.deepEqual(run.resources, []);
});

it("requires the broker password, as a secret", async () => {
  installMocks({
    "warren:environment": "dev",
    "warren:broker": { managementUrl: "http://127.0.0.1:15672", username: "admin" },
  });
  await assert.rejects(program(), /warren:broker.password: is required/);

  installMocks({
    "warren:environment": "dev",
    "warren:broker": {
      managementUrl: "http://127.0.0.1:15672",
      username: "admin",
      password: "plain",
    },
  });
  await assert.rejects(program(), /warren:broker.password: must be set as a secret/);
});
