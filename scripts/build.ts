/**
 * `npm run build`: bundles the API into one ES module, build/api/main.js,
 * with the Lua scripts beside it (build/api/lua, the same relative path as
 * api/store/lua from the store module). One file instead of hundreds of
 * modules halves the time from process start to ready (see README
 * "Performance"). Type checking is `npm run typecheck`'s job, not this one.
 */
import { cpSync, rmSync } from "node:fs";
import { build } from "esbuild";

const OUT_DIR = "build";

rmSync(OUT_DIR, { recursive: true, force: true });
await build({
  entryPoints: ["api/main.ts"],
  outfile: `${OUT_DIR}/api/main.js`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "external",
  logLevel: "warning",
  // Bundled CommonJS dependencies (ioredis, pino, prom-client) call require().
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
cpSync("api/store/lua", `${OUT_DIR}/api/lua`, { recursive: true });
