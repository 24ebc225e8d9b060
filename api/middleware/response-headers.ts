import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";

/**
 * Sets response headers before the handler runs. On the Node server they go
 * straight onto the `ServerResponse`, which merges them into the handler's
 * own headers at `writeHead` (the handler's win, e.g. the docs page's CSP).
 * Through Hono's `c.header` each one costs a validated `Headers.set` plus a
 * second conversion when the response is written: about 6 µs for this set,
 * the largest single cost on the hot path (measured with .bench-style A/B
 * runs, see README "Performance"). Outside Node (`app.request` in tests),
 * `c.header` it is.
 */
export function setResponseHeaders(
  c: Context,
  headers: ReadonlyArray<readonly [string, string]>,
): void {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (outgoing !== undefined && !outgoing.headersSent) {
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return;
  }
  for (const [name, value] of headers) c.header(name, value);
}
