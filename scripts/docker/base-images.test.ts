import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  NODE_ENTRYPOINT,
  npmVersionFor,
  planStandins,
  STANDIN_REPOSITORY,
  type StandinInputs,
} from "./base-images.js";

const INPUTS: StandinInputs = {
  node: {
    reference: `node:24.12.0-bookworm-slim@sha256:${"1".repeat(64)}`,
    tag: "24.12.0-bookworm-slim",
    nodeVersion: "24.12.0",
    debianSuite: "bookworm",
    digest: `sha256:${"1".repeat(64)}`,
  },
  npmVersion: "11.6.2",
  caBundleSha256: "a".repeat(64),
  redisReference: "redis:7.4.7-alpine",
};

describe("planStandins", () => {
  it("names each image after what it stands in for, with a hash of its inputs", () => {
    const plan = planStandins(INPUTS);
    expect(plan.node.tag).toMatch(
      new RegExp(`^${STANDIN_REPOSITORY}/node:24\\.12\\.0-bookworm-slim-[0-9a-f]{12}$`),
    );
    expect(plan.redis.tag).toMatch(
      new RegExp(`^${STANDIN_REPOSITORY}/redis:bookworm-[0-9a-f]{12}$`),
    );
    expect(plan.debian.tag).toMatch(/debian:bookworm-slim-[0-9a-f]{12}$/);
    expect(planStandins(INPUTS)).toEqual(plan);
  });

  it("changes the Node.js tag when the version, npm or CA bundle changes, and only that tag", () => {
    const plan = planStandins(INPUTS);
    const otherCa = planStandins({ ...INPUTS, caBundleSha256: "b".repeat(64) });
    expect(otherCa.node.tag).not.toBe(plan.node.tag);
    expect(otherCa.redis.tag).toBe(plan.redis.tag);
    expect(otherCa.debian.tag).toBe(plan.debian.tag);
    expect(planStandins({ ...INPUTS, npmVersion: "11.6.3" }).node.tag).not.toBe(plan.node.tag);
  });

  it("builds the root filesystem from bookworm, its updates and security, leaving docs out", () => {
    const args = planStandins(INPUTS).debian.mmdebstrapArgs;
    expect(args).toContain("--variant=minbase");
    expect(args).toContain("deb http://deb.debian.org/debian-security bookworm-security main");
    const hooks = args.filter((a) => a.startsWith("--customize-hook=")).join("\n");
    expect(hooks).toContain("rm -rf man/* info/* locale/*");
    expect(hooks).toContain("'path-exclude=/usr/share/doc/*'");
    expect(hooks).toContain("/etc/dpkg/dpkg.cfg.d/slim");
  });

  it("trusts the host's CA bundle in npm only when there is one", () => {
    expect(planStandins(INPUTS).node.dockerfile).toContain(
      "cafile=/etc/ssl/certs/ca-certificates.crt",
    );
    const without = planStandins({ ...INPUTS, caBundleSha256: undefined }).node.dockerfile;
    expect(without).not.toContain("ca-certificates.crt");
  });

  it("gives Redis the official image's user ids (999:1000), which compose.yaml runs it as", () => {
    expect(planStandins(INPUTS).redis.dockerfile).toContain("--uid 999 --gid redis");
    expect(planStandins(INPUTS).redis.dockerfile).toContain("groupadd --gid 1000 redis");
  });
});

describe("npmVersionFor", () => {
  it("knows the npm of the Dockerfile's Node.js and names the table for others", () => {
    expect(npmVersionFor("24.12.0")).toBe("11.6.2");
    expect(() => npmVersionFor("24.99.0")).toThrow(/NPM_BUNDLED_WITH_NODE/);
  });
});

describe("the Node.js stand-in's entrypoint", () => {
  const dir = mkdtempSync(join(tmpdir(), "userapi-entrypoint-"));
  const script = join(dir, "entrypoint.sh");
  writeFileSync(script, NODE_ENTRYPOINT, { mode: 0o755 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A `node` on PATH that prints its arguments, to see what the entrypoint ran.
  writeFileSync(join(dir, "node"), '#!/bin/sh\necho "node $*"\n', { mode: 0o755 });
  const run = (...args: string[]) =>
    spawnSync("/bin/sh", [script, ...args], {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).stdout.trim();

  it("execs a command as is (CMD node build/api/main.js stays PID 1's command)", () => {
    expect(run("echo", "hi")).toBe("hi");
    expect(run("node", "build/api/main.js")).toBe("node build/api/main.js");
  });

  it("runs a flag or a non-command with node, like the official image", () => {
    expect(run("-e", "1")).toBe("node -e 1");
    expect(run("app.js")).toBe("node app.js");
  });
});
