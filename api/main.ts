/**
 * Process entry: parse env → logger → store → app → listen; drains on
 * SIGTERM/SIGINT. The only module that reads process.env, listens or exits.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener } from "@hono/node-server";
import { pino } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createApp } from "./app.js";
import { authConfigFrom } from "./auth/auth-env.js";
import { createVerifier } from "./auth/create-verifier.js";
import { KeySetConfigError } from "./auth/key-set.js";
import { EnvError, parseEnv } from "./env.js";
import {
  clientErrorResponse,
  invalidRequestResponse,
  writeExpectationFailed,
} from "./lib/client-error.js";
import { applyServerLimits, serverLimitsFrom, serverOptions } from "./lib/server-limits.js";
import { readPackageVersion } from "./lib/version.js";
import { createStore } from "./store/create-store.js";

let env: ReturnType<typeof parseEnv>;
try {
  env = parseEnv(process.env);
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  console.error(`userapi: ${error.message}`);
  process.exit(1);
}

const version = env.APP_VERSION ?? readPackageVersion();
// Buffered asynchronous stdout: a write per request line costs ~10% of throughput.
// Lines leave at 4 KiB or every 200 ms, and synchronously before every exit below.
const logDestination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
setInterval(() => logDestination.flush(), 200).unref();
const logger = pino(
  { level: env.LOG_LEVEL, base: { service: "userapi", version } },
  logDestination,
);
const exit = (code: number): never => {
  logDestination.flushSync();
  process.exit(code);
};
const auth = authConfigFrom(env);
let verifyToken: Awaited<ReturnType<typeof createVerifier>>;
try {
  verifyToken = await createVerifier(auth, logger);
} catch (error) {
  if (!(error instanceof KeySetConfigError)) throw error;
  logger.fatal(`AUTH_JWKS_FILE: ${error.message}`);
  console.error(`userapi: invalid environment: AUTH_JWKS_FILE ${error.message}`);
  exit(1);
}
if (auth.mode === "off") {
  logger.warn(
    auth.reason === "disabled"
      ? "authentication disabled (AUTH_DISABLED=true): /user routes accept requests without a token; only run this behind a mesh that enforces authentication"
      : "authentication off: no AUTH_* variable is set, so /user routes accept requests without a token; set AUTH_JWKS_URL or AUTH_JWKS_FILE with AUTH_ISSUER and AUTH_AUDIENCE to turn it on",
  );
}
const store = createStore(env, logger);
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const limits = serverLimitsFrom(env);
let draining = false;
const app = createApp({
  store,
  logger,
  version,
  registry,
  isDraining: () => draining,
  bodyTimeoutMs: limits.bodyTimeoutMs,
  verifyToken,
});

// The app answers a missing Host itself, as problem+json (middleware/request-guards.ts),
// and requests the adapter cannot parse get a problem document too.
// Keep-alive, header, request and body timeouts and the connection cap:
// api/lib/server-limits.ts.
const server = createServer(
  { requireHostHeader: false, ...serverOptions(limits) },
  getRequestListener(app.fetch, {
    hostname: env.HOST,
    errorHandler: (error) => {
      logger.info({ err: (error as Error).message }, "rejected an unparsable request");
      return invalidRequestResponse({ version, requestId: randomUUID() });
    },
  }),
);
applyServerLimits(server, limits);
server.listen(env.PORT, env.HOST, () => {
  logger.info(
    {
      port: env.PORT,
      host: env.HOST,
      store: env.REDIS_URL ? "redis" : "memory",
      auth:
        auth.mode === "off"
          ? `off (${auth.reason})`
          : {
              jwks: auth.keySource.kind === "url" ? auth.keySource.url.href : auth.keySource.path,
              issuer: auth.issuer,
              audience: auth.audience,
            },
      limits,
    },
    "listening",
  );
});

// Requests Node's parser rejects never reach the app: answer them in the contract's shape.
server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
  const response = clientErrorResponse(error, { version, requestId: randomUUID() });
  if (response === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  logger.info({ code: error.code }, "rejected a malformed request");
  socket.end(response);
});
// Node would answer an unknown Expect with a bare 417; answer it in the contract's shape.
server.on("checkExpectation", (req, res) => {
  logger.info({ expect: req.headers.expect?.slice(0, 100) }, "refused an expectation");
  writeExpectationFailed(res, req.headers.expect ?? "", { version, requestId: randomUUID() });
});
server.on("error", (error) => {
  logger.fatal({ err: error }, "server error");
  exit(1);
});

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (draining) return;
  draining = true;
  logger.info({ signal, timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, "shutting down: draining requests");
  const deadline = setTimeout(() => {
    logger.error("drain deadline passed: closing remaining connections");
    server.closeAllConnections();
    exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();

  // close() stops accepting and waits for open connections; idle keep-alive
  // sockets would hold it forever, so close those now and as requests finish.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const reaper = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  await closed;
  clearInterval(reaper);
  await store.close();
  logger.info("shutdown complete");
  exit(0);
}

process.on("SIGTERM", (signal) => void shutdown(signal));
process.on("SIGINT", (signal) => void shutdown(signal));
process.on("unhandledRejection", (reason) => {
  logger.error({ err: reason }, "unhandled promise rejection");
});
process.on("uncaughtException", (error) => {
  logger.fatal({ err: error }, "uncaught exception: exiting");
  exit(1);
});
