/**
 * Smoke client entry: `npm run smoke -- --base-url URL [options]`.
 * Exit codes: 0 every check passed, 1 a check failed, 2 bad arguments.
 */
import { runSmoke } from "./checks.js";
import { createHttpClient } from "./http-client.js";
import { parseSmokeArgs, USAGE, UsageError } from "./options.js";
import { mintTokens, type SmokeTokens, TokenSetupError, tokensFromEnv } from "./tokens.js";

async function main(): Promise<number> {
  let options: ReturnType<typeof parseSmokeArgs>;
  try {
    options = parseSmokeArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`smoke: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if ("help" in options) {
    console.log(USAGE);
    return 0;
  }
  let tokens: SmokeTokens | undefined;
  try {
    tokens =
      options.keyDir === undefined
        ? tokensFromEnv(process.env)
        : await mintTokens(options.keyDir, { issuer: options.issuer, audience: options.audience });
  } catch (error) {
    if (!(error instanceof TokenSetupError)) throw error;
    console.error(`smoke: ${error.message}`);
    return 2;
  }

  console.log(
    `smoke: ${options.baseUrl}${options.host ? ` (Host: ${options.host})` : ""}, mode ${options.mode}, ` +
      `${options.requests} requests` +
      (options.mode === "single"
        ? ""
        : `, split expected v1 ${options.v1Weight}% / v2 ${options.v2Weight}%`),
  );
  const client = createHttpClient(options);
  try {
    const results = await runSmoke(options, {
      client,
      report: (r) => console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}\n      ${r.detail}`),
      note: (line) => console.log(`smoke: ${line}`),
      tokens,
    });
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0 && results.length > 0) {
      console.log(`smoke: all ${results.length} checks passed`);
      return 0;
    }
    console.log(`smoke: FAILED, ${failed.length} of ${results.length} checks failed`);
    return 1;
  } finally {
    client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error("smoke: crashed:", error);
    process.exitCode = 1;
  },
);
