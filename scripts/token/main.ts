/**
 * `npm run -s token -- --sub alice --scope users:write`: prints a token
 * signed by the development key, and only the token, on stdout, so
 * `TOKEN=$(npm run -s token -- ...)` works. Bad options: one line on
 * stderr, exit 2.
 */
import { fileURLToPath } from "node:url";
import { loadOrCreateDevKey, signToken } from "./dev-key.js";
import { OptionsError, parseTokenOptions, USAGE } from "./options.js";

const REPO_AUTH_DIR = fileURLToPath(new URL("../../.auth/", import.meta.url));

try {
  const options = parseTokenOptions(process.argv.slice(2), process.env, REPO_AUTH_DIR);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const key = await loadOrCreateDevKey(options.keyDir);
    const token = await signToken(key, {
      sub: options.sub,
      scopes: options.scopes,
      ttlSeconds: options.ttlSeconds,
      issuer: options.issuer,
      audience: options.audience,
    });
    process.stdout.write(`${token}\n`);
  }
} catch (error) {
  if (!(error instanceof OptionsError)) throw error;
  process.stderr.write(`token: ${error.message} (see --help)\n`);
  process.exitCode = 2;
}
