/**
 * Drives one bench scenario against an already running server, for
 * profiling (`node --cpu-prof build/api/main.js` in another shell):
 *   tsx scripts/bench/load-one.ts http://127.0.0.1:8080 "POST user" 10
 * "GET (JWT)" sends `--token`-style auth from env USERAPI_TOKEN (A7), e.g.
 *   USERAPI_TOKEN=$(npm run -s token -- --scope users:read) tsx scripts/bench/load-one.ts ...
 */
import autocannon from "autocannon";
import { scenarios } from "./scenarios.js";

const [url, name = "GET user", seconds = "10"] = process.argv.slice(2);
if (url === undefined) {
  console.error("usage: load-one.ts <base-url> [scenario] [seconds]");
  process.exit(2);
}
const token = process.env.USERAPI_TOKEN ?? "";
const scenario = scenarios(1000, token).find((s) => s.name === name);
if (scenario === undefined) {
  console.error(
    `unknown scenario '${name}'; one of: ${scenarios(0, token)
      .map((s) => s.name)
      .join(", ")}`,
  );
  process.exit(2);
}
const result = await autocannon({
  url,
  connections: 32,
  duration: Number(seconds),
  requests: scenario.requests("service"),
});
console.log(
  `${name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
);
