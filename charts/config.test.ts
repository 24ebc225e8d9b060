import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import pkg from "../package.json" with { type: "json" };
import { CHART_ENV, ChartConfigError, DEFAULTS, loadChartConfig, trackImage } from "./config.js";
import placeholder from "./lib/placeholder-jwks.json" with { type: "json" };

function errorOf(env: Record<string, string>): ChartConfigError {
  try {
    loadChartConfig(env);
  } catch (error) {
    if (error instanceof ChartConfigError) return error;
    throw error;
  }
  throw new Error("expected loadChartConfig to throw");
}

describe("loadChartConfig", () => {
  it("returns the defaults for an empty environment", () => {
    const config = loadChartConfig({});
    expect(config).toEqual(DEFAULTS);
    // What the README's steps build and `kind load` (D1): userapi:<package.json version>.
    expect(config.image).toBe("userapi");
    expect(config.tag).toBe(pkg.version);
    expect(config.weights).toEqual({ v1: 25, v2: 75 });
    expect(config.imagePullPolicy).toBe("IfNotPresent");
    expect(config.hosts).toEqual(["*"]);
    // 7.4.6+ fixes CVE-2025-49844 and CVE-2025-46817/46818/46819.
    expect(config.redis.image).toBe("redis:7.4.7-alpine");
    expect(config.redis.storageClass).toBeUndefined();
    expect(config.outdir).toBe("dist");
  });

  it("reads every documented variable", () => {
    const config = loadChartConfig({
      USERAPI_IMAGE: "userapi",
      USERAPI_TAG: "ci",
      USERAPI_IMAGE_PULL_POLICY: "Never",
      USERAPI_REPLICAS: "3",
      USERAPI_MAX_REPLICAS: "9",
      USERAPI_V1_WEIGHT: "90",
      USERAPI_V2_WEIGHT: "10",
      USERAPI_HOSTS: "api.example.com, *.example.org",
      USERAPI_LOG_LEVEL: "debug",
      USERAPI_CPU_REQUEST: "0.2",
      USERAPI_CPU_LIMIT: "1",
      USERAPI_MEMORY_REQUEST: "200Mi",
      USERAPI_MEMORY_LIMIT: "1Gi",
      USERAPI_REDIS_IMAGE: "registry.local:5000/redis:7.4.7-alpine",
      USERAPI_REDIS_STORAGE_SIZE: "5Gi",
      USERAPI_REDIS_STORAGE_CLASS: "standard",
      USERAPI_REDIS_CPU_REQUEST: "50m",
      USERAPI_REDIS_CPU_LIMIT: "250m",
      USERAPI_REDIS_MEMORY_REQUEST: "64Mi",
      USERAPI_REDIS_MEMORY_LIMIT: "128Mi",
      USERAPI_OUTDIR: "/tmp/out",
    });
    expect(config).toMatchObject({
      image: "userapi",
      tag: "ci",
      imagePullPolicy: "Never",
      replicas: 3,
      maxReplicas: 9,
      weights: { v1: 90, v2: 10 },
      hosts: ["api.example.com", "*.example.org"],
      logLevel: "debug",
      apiResources: {
        cpuRequest: "0.2",
        cpuLimit: "1",
        memoryRequest: "200Mi",
        memoryLimit: "1Gi",
      },
      redis: {
        image: "registry.local:5000/redis:7.4.7-alpine",
        storageSize: "5Gi",
        storageClass: "standard",
        resources: { cpuRequest: "50m", cpuLimit: "250m", memoryRequest: "64Mi" },
      },
      outdir: "/tmp/out",
    });
  });

  it("lists a variable for every config field it can set", () => {
    expect(Object.keys(CHART_ENV)).toHaveLength(27);
    // AUTH_* are the app's own names (SPEC "Authentication"): one value, both walls.
    expect(Object.keys(CHART_ENV).every((name) => /^(USERAPI|AUTH)_/.test(name))).toBe(true);
  });

  it("returns a deeply frozen object", () => {
    const config = loadChartConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.weights)).toBe(true);
    expect(Object.isFrozen(config.redis.resources)).toBe(true);
  });

  it("falls back to CDK8S_OUTDIR (cdk8s synth) but prefers USERAPI_OUTDIR", () => {
    expect(loadChartConfig({ CDK8S_OUTDIR: "out" }).outdir).toBe("out");
    expect(loadChartConfig({ CDK8S_OUTDIR: "out", USERAPI_OUTDIR: "mine" }).outdir).toBe("mine");
  });

  it("treats an empty storage class as the cluster default", () => {
    expect(loadChartConfig({ USERAPI_REDIS_STORAGE_CLASS: "" }).redis.storageClass).toBeUndefined();
  });
});

describe("per-track images (USERAPI_V1_*/USERAPI_V2_*)", () => {
  it("run the shared image on both tracks by default", () => {
    const config = loadChartConfig({});
    expect(trackImage(config, "v1")).toBe(`userapi:${pkg.version}`);
    expect(trackImage(config, "v2")).toBe(`userapi:${pkg.version}`);
  });

  it("follow USERAPI_IMAGE/USERAPI_TAG when a track sets nothing of its own", () => {
    const config = loadChartConfig({ USERAPI_IMAGE: "ghcr.io/acme/userapi", USERAPI_TAG: "2.0.0" });
    expect(trackImage(config, "v1")).toBe("ghcr.io/acme/userapi:2.0.0");
    expect(trackImage(config, "v2")).toBe("ghcr.io/acme/userapi:2.0.0");
  });

  it("let each track set its repository and tag separately", () => {
    const config = loadChartConfig({
      USERAPI_TAG: "1.0.0",
      USERAPI_V2_TAG: "1.1.0",
      USERAPI_V1_IMAGE: "registry.local:5000/userapi",
    });
    expect(trackImage(config, "v1")).toBe("registry.local:5000/userapi:1.0.0");
    expect(trackImage(config, "v2")).toBe("userapi:1.1.0");
    expect(config.tracks.v2).toEqual({ image: undefined, tag: "1.1.0" });
  });

  it.each([
    ["USERAPI_V2_TAG", "latest", /not latest \(got "latest"\)/],
    ["USERAPI_V2_TAG", "", /image tag/],
    ["USERAPI_V1_TAG", "1.0 beta", /image tag/],
    ["USERAPI_V1_IMAGE", "userapi:1.0.0", /without tag.*\(got "userapi:1\.0\.0"\)/],
    ["USERAPI_V2_IMAGE", "", /image repository/],
  ])("reject %s=%j, naming the variable", (variable, value, message) => {
    const error = errorOf({ [variable]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.field).toBe(variable);
    expect(error.problems[0]?.message).toMatch(message);
  });
});

describe("loadChartConfig rejects bad config, naming the variable", () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    [
      "weights that do not sum to 100",
      { USERAPI_V2_WEIGHT: "80" },
      "USERAPI_V2_WEIGHT",
      /sum to 100.*25 \+ 80 = 105/,
    ],
    [
      "a weight above 100",
      { USERAPI_V1_WEIGHT: "101", USERAPI_V2_WEIGHT: "-1" },
      "USERAPI_V1_WEIGHT",
      /0 to 100/,
    ],
    [
      "a weight that is not a number",
      { USERAPI_V2_WEIGHT: "lots" },
      "USERAPI_V2_WEIGHT",
      /integer from 0 to 100 \(got "lots"\)/,
    ],
    [
      "a negative replica count",
      { USERAPI_REPLICAS: "-1" },
      "USERAPI_REPLICAS",
      /integer from 1 to 50 \(got "-1"\)/,
    ],
    ["zero replicas", { USERAPI_REPLICAS: "0" }, "USERAPI_REPLICAS", /from 1/],
    [
      "max replicas below replicas",
      { USERAPI_REPLICAS: "4", USERAPI_MAX_REPLICAS: "3" },
      "USERAPI_MAX_REPLICAS",
      /at least/,
    ],
    ["an empty image", { USERAPI_IMAGE: "" }, "USERAPI_IMAGE", /image repository/],
    ["an image with a tag", { USERAPI_IMAGE: "userapi:1.0.0" }, "USERAPI_IMAGE", /without tag/],
    ["the latest tag", { USERAPI_TAG: "latest" }, "USERAPI_TAG", /not latest/],
    ["an empty tag", { USERAPI_TAG: "" }, "USERAPI_TAG", /image tag/],
    [
      "an unpinned Redis image",
      { USERAPI_REDIS_IMAGE: "redis" },
      "USERAPI_REDIS_IMAGE",
      /pinned by tag/,
    ],
    ["Redis latest", { USERAPI_REDIS_IMAGE: "redis:latest" }, "USERAPI_REDIS_IMAGE", /not latest/],
    [
      "a bad storage size",
      { USERAPI_REDIS_STORAGE_SIZE: "1GB" },
      "USERAPI_REDIS_STORAGE_SIZE",
      /Mi, Gi or Ti/,
    ],
    [
      "a bad storage class",
      { USERAPI_REDIS_STORAGE_CLASS: "Fast SSD" },
      "USERAPI_REDIS_STORAGE_CLASS",
      /StorageClass/,
    ],
    [
      "a bad pull policy",
      { USERAPI_IMAGE_PULL_POLICY: "Sometimes" },
      "USERAPI_IMAGE_PULL_POLICY",
      /IfNotPresent/,
    ],
    ["no hosts", { USERAPI_HOSTS: " , " }, "USERAPI_HOSTS", /at least one host/],
    ["a bad host", { USERAPI_HOSTS: "api.example.com,http://x" }, "USERAPI_HOSTS", /DNS name/],
    [
      "a CPU request above its limit",
      { USERAPI_CPU_REQUEST: "2" },
      "USERAPI_CPU_REQUEST",
      /CPU limit/,
    ],
    [
      "a bad memory quantity",
      { USERAPI_REDIS_MEMORY_LIMIT: "256MB" },
      "USERAPI_REDIS_MEMORY_LIMIT",
      /Mi or Gi/,
    ],
    ["a bad log level", { USERAPI_LOG_LEVEL: "loud" }, "USERAPI_LOG_LEVEL", /one of/],
  ];

  for (const [what, env, variable, message] of cases) {
    it(`fails on ${what}`, () => {
      const error = errorOf(env);
      const problem = error.problems.find((p) => p.field === variable);
      expect(problem, error.message).toBeDefined();
      expect(problem?.message).toMatch(message);
      expect(error.message).toContain(`${variable}: `);
    });
  }

  it("reports every bad variable at once", () => {
    const error = errorOf({ USERAPI_IMAGE: "", USERAPI_REPLICAS: "-2" });
    expect(error.problems.map((p) => p.field).sort()).toEqual([
      "USERAPI_IMAGE",
      "USERAPI_REPLICAS",
    ]);
  });
});

describe("loadChartConfig auth (AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_FILE)", () => {
  const publicJwk = () =>
    generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  const privateJwk = () =>
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  /** Files served from memory, as charts/main.ts serves them from disk. */
  const filesOf = (files: Record<string, string>) => ({
    readText: (path: string) => {
      const text = files[path];
      if (text === undefined) {
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      }
      return text;
    },
  });
  const authErrorOf = (env: Record<string, string>, files: Record<string, string> = {}) => {
    try {
      loadChartConfig(env, filesOf(files));
    } catch (error) {
      if (error instanceof ChartConfigError) return error;
      throw error;
    }
    throw new Error("expected loadChartConfig to throw");
  };

  it("defaults to the development issuer and audience and the placeholder JWKS, reading no file", () => {
    const config = loadChartConfig({}, filesOf({}));
    expect(config.auth.issuer).toBe("userapi-dev");
    expect(config.auth.audience).toBe("userapi");
    expect(config.auth.jwks).toEqual(placeholder);
  });

  it("reads the JWKS file named by AUTH_JWKS_FILE, keeping only public members", () => {
    const key = { ...publicJwk(), kid: "k1", alg: "ES256", x5t: "thumb" };
    const config = loadChartConfig(
      {
        AUTH_ISSUER: "https://login.example.com/",
        AUTH_AUDIENCE: "api://userapi",
        AUTH_JWKS_FILE: "/keys/jwks.json",
      },
      filesOf({ "/keys/jwks.json": JSON.stringify({ keys: [key] }) }),
    );
    expect(config.auth.issuer).toBe("https://login.example.com/");
    expect(config.auth.audience).toBe("api://userapi");
    const { x5t: _dropped, ...kept } = key;
    expect(config.auth.jwks).toEqual({ keys: [kept] });
  });

  const file = "/keys/jwks.json";
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ["an empty issuer", { AUTH_ISSUER: "" }, "AUTH_ISSUER", /printable characters.*\(got ""\)/],
    ["an issuer with a space", { AUTH_ISSUER: "my issuer" }, "AUTH_ISSUER", /without spaces/],
    ["an issuer with a wildcard", { AUTH_ISSUER: "iss*" }, "AUTH_ISSUER", /or '\*'/],
    ["an empty audience", { AUTH_AUDIENCE: " " }, "AUTH_AUDIENCE", /printable/],
    ["an empty JWKS path", { AUTH_JWKS_FILE: "" }, "AUTH_JWKS_FILE", /path of a JWKS file/],
    [
      "a JWKS file that does not exist",
      { AUTH_JWKS_FILE: "/nowhere/jwks.json" },
      "AUTH_JWKS_FILE",
      /^cannot read "\/nowhere\/jwks\.json" \(ENOENT\): must be a readable JWKS file$/,
    ],
  ];
  for (const [what, env, variable, message] of cases) {
    it(`fails on ${what}, naming ${variable}`, () => {
      const error = authErrorOf(env);
      const problem = error.problems.find((p) => p.field === variable);
      expect(problem, error.message).toBeDefined();
      expect(problem?.message).toMatch(message);
    });
  }

  const fileCases: [string, string, RegExp][] = [
    ["not JSON", "{keys:", /^"\/keys\/jwks\.json" is not JSON \(/],
    [
      "a private key inside the JWKS",
      JSON.stringify({ keys: [{ ...privateJwk(), kid: "k" }] }),
      /^keys\[0\] holds the private member "d": .*never a private key \(got "\/keys\/jwks\.json"\)$/,
    ],
    [
      "the private JWK itself (private.jwk.json)",
      JSON.stringify({ ...privateJwk(), kid: "k" }),
      /not a single JWK; the file holds the private member "d"/,
    ],
    [
      "a symmetric key",
      JSON.stringify({ keys: [{ kty: "oct", kid: "h", k: "c2VjcmV0", alg: "HS256" }] }),
      /^keys\[0\] is a symmetric key \(kty "oct"\)/,
    ],
    ["an empty key set", JSON.stringify({ keys: [] }), /"keys" is empty/],
  ];
  for (const [what, text, message] of fileCases) {
    it(`fails on a JWKS file with ${what}, naming AUTH_JWKS_FILE`, () => {
      const error = authErrorOf({ AUTH_JWKS_FILE: file }, { [file]: text });
      expect(error.problems).toEqual([
        { field: "AUTH_JWKS_FILE", message: expect.stringMatching(message) },
      ]);
      expect(error.message).toContain("AUTH_JWKS_FILE: ");
    });
  }

  it("reports a bad JWKS file together with other bad variables", () => {
    const error = authErrorOf({ AUTH_JWKS_FILE: "/missing", USERAPI_REPLICAS: "0" });
    expect(error.problems.map((p) => p.field).sort()).toEqual([
      "AUTH_JWKS_FILE",
      "USERAPI_REPLICAS",
    ]);
  });

  it("never reads a file without AUTH_JWKS_FILE", () => {
    const reads: string[] = [];
    const readText = (path: string) => {
      reads.push(path);
      return "";
    };
    loadChartConfig({ AUTH_ISSUER: "x" }, { readText });
    expect(reads).toEqual([]);
  });
});
