/** Builds an app over a store for in-process HTTP tests (`app.request`). */
import { pino } from "pino";
import { createApp } from "../../api/app.js";
import type { UserStore } from "../../api/store/user-store.js";

export const TEST_VERSION = "9.9.9-test";

export function testApp(store: UserStore, options: { isDraining?: () => boolean } = {}) {
  return createApp({
    store,
    logger: pino({ level: "silent" }),
    version: TEST_VERSION,
    ...options,
  });
}

export const JSON_HEADERS = { "content-type": "application/json" } as const;

export const jsonRequest = (method: string, body: unknown): RequestInit => ({
  method,
  headers: JSON_HEADERS,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

// biome-ignore lint/suspicious/noExplicitAny: tests walk response JSON whose shape they assert.
export type AnyJson = any;

/** `response.json()` typed for assertions. */
export const json = (response: Response): Promise<AnyJson> => response.json();
