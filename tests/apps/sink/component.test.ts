// warren:dev:Sink under Pulumi mocks: the record's volume (named from the network, mounted at
// /data, removed on destroy unless retainData), the container's hardening, and child names that
// existing stacks already have (renaming them would replace the sink).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "../../support/mocks";

const run = installMocks();

/** Resource options the mocks' callback is not told: from the registration requests. */
const options = new Map<string, { retainOnDelete: boolean; deleteBeforeReplace: boolean }>();
interface RegisterRequest {
  getName(): string;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
}
const monitor = pulumi.runtime.getMonitor() as unknown as {
  registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
};
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, cb) => {
  options.set(req.getName(), {
    retainOnDelete: req.getRetainondelete(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
  });
  return register(req, cb);
};

describe("warren:dev:Sink", async () => {
  const { Sink } = await import("../../../components/runtimes/docker/sink");
  new Sink("sink", { network: "warren-dev", port: 18080 });
  new Sink("kept", { network: "warren-kept", port: 18081, retainData: true });
  await settle();
  const of = (type: string, name: string) => {
    const found = run.resources.find((r) => r.type === type && r.name === name);
    assert.ok(found, `no ${type} ${name}`);
    return found;
  };

  it("keeps its children's names: sink-image, sink-container, and the new sink-data", () => {
    const children = run.resources.filter((r) => r.parent?.endsWith("warren:dev:Sink::sink"));
    assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
      "docker:index/container:Container sink-container",
      "docker:index/remoteImage:RemoteImage sink-image",
      "docker:index/volume:Volume sink-data",
    ]);
  });

  it("mounts a volume named from the network at /data, labelled as the container is", () => {
    const volume = of("docker:index/volume:Volume", "sink-data");
    const container = of("docker:index/container:Container", "sink-container");
    assert.equal(volume.inputs.name, "warren-dev-sink-data");
    assert.deepEqual(volume.inputs.labels, container.inputs.labels);
    assert.deepEqual(container.inputs.volumes, [
      { volumeName: "warren-dev-sink-data", containerPath: "/data" },
    ]);
    assert.deepEqual(container.inputs.envs, ["WARREN_SINK_DATA_DIR=/data"]);
  });

  it("runs as 1000:1000 on a read-only root file system with no capabilities", () => {
    const c = of("docker:index/container:Container", "sink-container").inputs;
    assert.deepEqual(
      [c.user, c.readOnly, c.capabilities, c.securityOpts],
      ["1000:1000", true, { drops: ["ALL"] }, ["no-new-privileges:true"]],
    );
  });

  it("removes the volume on destroy unless retainData, and replaces the container delete-first", () => {
    assert.equal(options.get("sink-data")?.retainOnDelete, false);
    assert.equal(options.get("kept-data")?.retainOnDelete, true);
    // Its name and host port are fixed: a new one cannot start while the old one runs.
    assert.equal(options.get("sink-container")?.deleteBeforeReplace, true);
  });
});
