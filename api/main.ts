/**
 * Process entry: parse env → logger → store → app → listen; drains on
 * SIGTERM/SIGINT. The only module that reads process.env, listens or exits.
 */
import { serve } from "@hono/node-server";
import { pino } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createApp } from "./app.js";
import { EnvError, parseEnv } from "./env.js";
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
const store = createStore(env, logger);
const registry = new Registry();
collectDefaultMetrics({ register: registry });

let draining = false;
const app = createApp({ store, logger, version, registry, isDraining: () => draining });

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  logger.info(
    { port: info.port, host: env.HOST, store: env.REDIS_URL ? "redis" : "memory" },
    "listening",
  );
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
    if ("closeAllConnections" in server) server.closeAllConnections();
    exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();

  // close() stops accepting and waits for open connections; idle keep-alive
  // sockets would hold it forever, so close those now and as requests finish.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const reaper =
    "closeIdleConnections" in server
      ? setInterval(() => server.closeIdleConnections(), 50)
      : undefined;
  if ("closeIdleConnections" in server) server.closeIdleConnections();
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
