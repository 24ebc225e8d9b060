/**
 * A private key never enters the repository or dist/ (SPEC "Authentication"):
 * every tracked file, every file about to be added (untracked, not ignored)
 * and every manifest of dist/ is scanned for PEM private keys and private
 * JWKs. Planted keys, made in the test, show the scanner finds each form;
 * the image is covered by .dockerignore's allow-list and
 * test/delivery-image.test.ts (only the bundle and its assets enter it).
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { findPrivateKeys } from "./support/private-key-scan.js";

const root = resolve(import.meta.dirname, "..");
const MAX_BYTES = 5 * 1024 * 1024;

function gitFiles(...args: string[]): string[] {
  return execFileSync("git", ["ls-files", "-z", ...args], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((path) => path !== "");
}

/** Findings per file, as `path:line kind`. */
function scan(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    const full = join(root, path);
    let size: number;
    try {
      const stat = statSync(full);
      if (!stat.isFile()) return [];
      size = stat.size;
    } catch {
      return []; // deleted in the working tree
    }
    if (size > MAX_BYTES) return [`${path}: larger than ${MAX_BYTES} bytes, not scanned`];
    return findPrivateKeys(readFileSync(full, "utf8")).map((f) => `${path}:${f.line} ${f.kind}`);
  });
}

describe("private keys", () => {
  it("are in no tracked file and no file about to be added", () => {
    const tracked = gitFiles();
    const untracked = gitFiles("--others", "--exclude-standard");
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked).toContain("charts/lib/placeholder-jwks.json");
    expect(scan([...tracked, ...untracked])).toEqual([]);
  });

  it("are in no manifest of dist/ (the ConfigMap and RequestAuthentication hold public keys only)", () => {
    const files = readdirSync(join(root, "dist")).map((name) => `dist/${name}`);
    const text = files.map((path) => readFileSync(join(root, path), "utf8")).join("\n");
    expect(text).toContain("jwks.json");
    expect(text).toContain('"kty":"EC"');
    expect(scan(files)).toEqual([]);
  });

  it("keeps the local key folder .auth/ out of git", () => {
    const ignored = execFileSync(
      "git",
      ["check-ignore", "-v", ".auth/private.jwk.json", ".auth/kind-userapi/private.jwk.json"],
      { cwd: root, encoding: "utf8" },
    );
    expect(ignored.split("\n").filter(Boolean)).toHaveLength(2);
  });
});

describe("the private key scanner (planted keys: it can fail)", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateJwk = { ...ec.privateKey.export({ format: "jwk" }), kid: "planted" };
  const publicJwk = { ...ec.publicKey.export({ format: "jwk" }), kid: "planted" };
  const jwks = JSON.stringify({ keys: [publicJwk] });

  it.each([
    ["a PKCS#8 PEM key", rsa.privateKey.export({ format: "pem", type: "pkcs8" }) as string],
    ["a PKCS#1 PEM key", rsa.privateKey.export({ format: "pem", type: "pkcs1" }) as string],
    ["a SEC1 PEM key", ec.privateKey.export({ format: "pem", type: "sec1" }) as string],
    [
      "an encrypted PEM key",
      rsa.privateKey.export({
        format: "pem",
        type: "pkcs8",
        cipher: "aes-256-cbc",
        passphrase: "planted",
      }) as string,
    ],
    ["a private JWK (private.jwk.json)", JSON.stringify(privateJwk, null, 2)],
    ["a JWKS holding a private key", JSON.stringify({ keys: [privateJwk] })],
    [
      "a private JWKS inside a YAML ConfigMap",
      stringify({ data: { "jwks.json": JSON.stringify({ keys: [privateJwk] }) } }),
    ],
    [
      "a JWKS inside a JSON string",
      JSON.stringify({ jwks: JSON.stringify({ keys: [privateJwk] }) }),
    ],
    ["a JavaScript literal", `const key = { kty: "EC", crv: "P-256", d: "${privateJwk.d}" };`],
    ["a symmetric JWK", `{"kty":"oct","k":"${"c2VjcmV0LXNlY3JldC1zZWNyZXQ"}"}`],
  ])("finds %s", (_, text) => {
    const findings = findPrivateKeys(`line one
${text}
`);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ["a public JWKS", jwks],
    ["a public PEM key", ec.publicKey.export({ format: "pem", type: "spki" }) as string],
    ["a JWKS check with a short dummy member", '{"kty":"EC","d":"AAAA"}'],
    [
      "the scanner's own source",
      readFileSync(join(root, "test/support/private-key-scan.ts"), "utf8"),
    ],
    [
      "this test's source",
      readFileSync(join(root, "test/manifests-no-private-keys.test.ts"), "utf8"),
    ],
  ])("finds nothing in %s", (_, text) => {
    expect(findPrivateKeys(text)).toEqual([]);
  });
});
