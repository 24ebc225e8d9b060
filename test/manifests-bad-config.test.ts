/**
 * Bad chart config stops `npm run synth` before it writes anything, with a
 * message that names the variable.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

function synth(
  vars: Record<string, string>,
  inspect: (outdir: string) => void = () => undefined,
): { status: number; stderr: string; files: string[] } {
  const outdir = mkdtempSync(join(tmpdir(), "userapi-bad-"));
  writeFileSync(join(outdir, "00-namespace.k8s.yaml"), "kind: Namespace\n");
  try {
    // A minimal environment: only the variables under test reach the chart config.
    execFileSync(process.execPath, ["--import", "tsx", "charts/main.ts"], {
      cwd: root,
      env: { ...vars, USERAPI_OUTDIR: outdir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    inspect(outdir);
    return { status: 0, stderr: "", files: readdirSync(outdir) };
  } catch (error) {
    const failure = error as { status: number; stderr: Buffer };
    return {
      status: failure.status,
      stderr: failure.stderr.toString(),
      files: readdirSync(outdir),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("npm run synth with bad config", () => {
  it("fails on weights that do not sum to 100, naming USERAPI_V2_WEIGHT", () => {
    const result = synth({ USERAPI_V1_WEIGHT: "30", USERAPI_V2_WEIGHT: "80" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_V2_WEIGHT: must sum to 100");
    // Nothing was cleared or written: the old output is untouched.
    expect(result.files).toEqual(["00-namespace.k8s.yaml"]);
  });

  it("fails on a negative replica count, naming USERAPI_REPLICAS", () => {
    const result = synth({ USERAPI_REPLICAS: "-3" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_REPLICAS: must be an integer from 1 to 50");
  });

  it("fails on an empty image, naming USERAPI_IMAGE", () => {
    const result = synth({ USERAPI_IMAGE: "" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_IMAGE: must be an image repository");
  });

  describe("AUTH_JWKS_FILE", () => {
    const keys = mkdtempSync(join(tmpdir(), "userapi-keys-"));
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kid = "test-key-1";
    const privateJwk = { ...pair.privateKey.export({ format: "jwk" }), kid };
    const publicJwk = {
      ...pair.publicKey.export({ format: "jwk" }),
      kid,
      use: "sig",
      alg: "ES256",
    };
    writeFileSync(join(keys, "private.jwk.json"), JSON.stringify(privateJwk));
    writeFileSync(join(keys, "jwks.json"), JSON.stringify({ keys: [publicJwk] }));
    afterAll(() => rmSync(keys, { recursive: true, force: true }));

    it("fails on the private key file, naming the variable, and writes nothing", () => {
      const result = synth({ AUTH_JWKS_FILE: join(keys, "private.jwk.json") });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("AUTH_JWKS_FILE: must be a JWKS");
      expect(result.stderr).toContain('holds the private member "d"');
      expect(result.files).toEqual(["00-namespace.k8s.yaml"]);
    });

    it("fails on a file that does not exist", () => {
      const result = synth({ AUTH_JWKS_FILE: join(keys, "absent.json") });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/AUTH_JWKS_FILE: cannot read ".*absent\.json" \(ENOENT\)/);
    });

    it("synthesizes the public JWKS into the ConfigMap and the RequestAuthentication, never d", () => {
      let manifest = "";
      const result = synth(
        { AUTH_JWKS_FILE: join(keys, "jwks.json"), AUTH_ISSUER: "kind-test" },
        (out) => {
          manifest = readFileSync(join(out, "20-userapi.k8s.yaml"), "utf8");
        },
      );
      expect(result.status).toBe(0);
      expect(manifest.split(publicJwk.x as string)).toHaveLength(3);
      expect(manifest).toContain("issuer: kind-test");
      expect(manifest).toContain("- kind-test/*");
      expect(manifest).not.toContain(privateJwk.d as string);
      expect(manifest).not.toContain("userapi-placeholder");
    });
  });

  it("succeeds on good config (the check above is not always failing)", () => {
    const result = synth({ USERAPI_V1_WEIGHT: "30", USERAPI_V2_WEIGHT: "70" });
    expect(result.status).toBe(0);
    expect(result.files).toContain("20-userapi.k8s.yaml");
  });
});
