// Kubernetes quantities (storage sizes, resources) and RabbitMQ information units, exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareQuantities,
  informationUnitBytes,
  parseQuantity,
  quantityToBytes,
} from "../../../components/cluster";

describe("Kubernetes quantities", () => {
  it("parse binary and decimal suffixes, decimals and exponents exactly", () => {
    assert.equal(quantityToBytes("10Gi"), 10737418240n);
    assert.equal(quantityToBytes("1.5Gi"), 1610612736n);
    assert.equal(quantityToBytes("10G"), 10000000000n);
    assert.equal(quantityToBytes("2e3"), 2000n);
    assert.equal(quantityToBytes("128974848"), 128974848n);
    assert.deepEqual(parseQuantity("500m"), { num: 500n, den: 1000n });
  });

  it("round fractions of a byte up, as Kubernetes does", () => {
    assert.equal(quantityToBytes("0.5"), 1n);
    assert.equal(quantityToBytes("1500m"), 2n);
  });

  it("refuse what Kubernetes refuses", () => {
    for (const bad of ["10GB", "1.2.3", "", "Gi", "1 Gi", "10gi", "1e", "0x10"])
      assert.equal(parseQuantity(bad), undefined, bad);
  });

  it("compare across units", () => {
    assert.equal(compareQuantities("1Gi", "1024Mi"), 0);
    assert.equal(compareQuantities("1G", "1Gi"), -1);
    assert.equal(compareQuantities("2", "1500m"), 1);
    assert.equal(compareQuantities("0.5Gi", "512Mi"), 0);
  });

  it("refuse to compare something that is not a quantity", () => {
    assert.throws(() => compareQuantities("1Gi", "lots"), {
      message: 'not a Kubernetes quantity: "lots"',
    });
  });
});

describe("RabbitMQ information units", () => {
  // The values RabbitMQ 3.10.8's own rabbit_resource_monitor_misc:parse_information_unit/1 gives.
  it("read k/M/G and kiB/MiB/GiB as powers of 2 and kB/MB/GB as powers of 10", () => {
    const cases: [string, bigint][] = [
      ["3k", 3072n],
      ["3kiB", 3072n],
      ["3kB", 3000n],
      ["3M", 3145728n],
      ["3MiB", 3145728n],
      ["3MB", 3000000n],
      ["3G", 3221225472n],
      ["3GiB", 3221225472n],
      ["3GB", 3000000000n],
      ["100", 100n],
    ];
    assert.deepEqual(
      cases.map(([s]) => [s, informationUnitBytes(s)]),
      cases,
    );
  });

  it("refuse the spellings RabbitMQ 3.10 cannot parse", () => {
    for (const bad of ["1.5GB", "2 GB", "2TB", "100KiB"])
      assert.throws(() => informationUnitBytes(bad), {
        message: `not a RabbitMQ information unit: ${JSON.stringify(bad)}`,
      });
  });
});
