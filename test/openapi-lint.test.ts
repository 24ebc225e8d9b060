/**
 * The live `/openapi.json` of the server process, linted by Spectral
 * (`spectral:oas`, `.spectral.yaml`) and Redocly (`recommended`,
 * `redocly.yaml`): no errors and no warnings. Every rule the config files
 * switch off must still fire on the document without them, so a rule is
 * never left off after the reason for it went away.
 */
import * as fs from "node:fs";
import { createConfig, lintFromString, loadConfig } from "@redocly/openapi-core";
import spectralCore from "@stoplight/spectral-core";
import spectralParsers from "@stoplight/spectral-parsers";
import { bundleAndLoadRuleset } from "@stoplight/spectral-ruleset-bundler/with-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  BEARER_SCHEME,
  SELF_SERVICE_EXTENSION,
  USERS_READ,
  USERS_WRITE,
} from "../api/auth/access.js";
import { type ApiProcess, REPO_ROOT, startApi } from "./support/api-process.js";

const { Spectral, Document } = spectralCore;
const { Json } = spectralParsers;

const SEVERITY = ["error", "warn", "info", "hint"] as const;

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly where: string;
  readonly message: string;
}

const noNetwork = () => {
  throw new Error("the lint must not fetch anything");
};

async function spectral(document: string, rulesetFile: string): Promise<Finding[]> {
  const linter = new Spectral();
  linter.setRuleset(
    await bundleAndLoadRuleset(rulesetFile, { fs, fetch: noNetwork as unknown as typeof fetch }),
  );
  const results = await linter.run(new Document(document, Json, "openapi.json"));
  return results.map((r) => ({
    rule: String(r.code),
    severity: SEVERITY[r.severity] ?? String(r.severity),
    where: r.path.join("."),
    message: r.message,
  }));
}

async function redocly(
  document: string,
  config: Awaited<ReturnType<typeof loadConfig>>,
): Promise<Finding[]> {
  const problems = await lintFromString({
    source: document,
    absoluteRef: `${REPO_ROOT}openapi.json`,
    config,
  });
  return problems.map((p) => ({
    rule: p.ruleId,
    severity: p.severity,
    where: p.location[0]?.pointer ?? "",
    message: p.message,
  }));
}

const count = (findings: readonly Finding[], severity: string) =>
  findings.filter((f) => f.severity === severity).length;

/** The rules a config file switches off. */
function rulesOff(file: string): string[] {
  const config = parseYaml(fs.readFileSync(`${REPO_ROOT}${file}`, "utf8")) as {
    rules?: Record<string, unknown>;
  };
  return Object.entries(config.rules ?? {})
    .filter(([, value]) => value === "off")
    .map(([rule]) => rule)
    .sort();
}

describe("OpenAPI lint of the live /openapi.json", () => {
  let api: ApiProcess;
  let document: string;

  beforeAll(async () => {
    api = await startApi();
    document = await (await fetch(`${api.baseUrl}/openapi.json`)).text();
  });
  afterAll(async () => api?.stop());

  it("Spectral (spectral:oas + .spectral.yaml) reports nothing", async () => {
    const bare = fs.mkdtempSync("/tmp/userapi-spectral-");
    fs.writeFileSync(`${bare}/.spectral.yaml`, 'extends: ["spectral:oas"]\n');
    const plain = await spectral(document, `${bare}/.spectral.yaml`);
    fs.rmSync(bare, { recursive: true });
    const configured = await spectral(document, `${REPO_ROOT}.spectral.yaml`);
    console.log(
      `spectral: spectral:oas alone ${count(plain, "error")} errors, ${count(plain, "warn")} warnings; with .spectral.yaml ${configured.length} findings`,
    );
    expect(configured).toEqual([]);
    expect([...new Set(plain.map((f) => f.rule))].sort()).toEqual(rulesOff(".spectral.yaml"));
  });

  it("Redocly (recommended + redocly.yaml) reports nothing", async () => {
    const plain = await redocly(document, await createConfig({ extends: ["recommended"] }));
    const configured = await redocly(
      document,
      await loadConfig({ configPath: `${REPO_ROOT}redocly.yaml` }),
    );
    console.log(
      `redocly: recommended alone ${count(plain, "error")} errors, ${count(plain, "warn")} warnings; with redocly.yaml ${configured.length} findings`,
    );
    expect(configured).toEqual([]);
    expect([...new Set(plain.map((f) => f.rule))].sort()).toEqual(rulesOff("redocly.yaml"));
  });

  // What spectral's oas3-operation-security-defined would check, for an http bearer scheme.
  it("secures every user operation with the bearer scheme and one documented scope, and no meta operation", () => {
    const parsed = JSON.parse(document);
    const scheme = parsed.components.securitySchemes[BEARER_SCHEME];
    expect(scheme).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
    expect(parsed.security).toEqual([]);
    const seen: string[] = [];
    for (const [path, item] of Object.entries<Record<string, AnyOperation>>(parsed.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!path.startsWith("/user") || method === "options") {
          expect(operation.security, where).toBeUndefined();
          continue;
        }
        const scope = ["get", "head"].includes(method) ? USERS_READ : USERS_WRITE;
        expect(operation.security, where).toEqual([{ [BEARER_SCHEME]: [scope] }]);
        expect(scheme.description).toContain(`\`${scope}\``);
        expect(Object.keys(operation.responses), where).toEqual(
          expect.arrayContaining(["401", "403"]),
        );
        expect(operation[SELF_SERVICE_EXTENSION], where).toBe(
          path === "/user/{username}" ? "username" : undefined,
        );
        seen.push(where);
      }
    }
    expect(seen.sort()).toEqual([
      "DELETE /user/{username}",
      "GET /user",
      "GET /user/{username}",
      "HEAD /user",
      "HEAD /user/{username}",
      "PATCH /user/{username}",
      "POST /user",
      "PUT /user/{username}",
    ]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: an operation of the parsed document.
type AnyOperation = any;
