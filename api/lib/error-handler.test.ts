/**
 * Error mapping in isolation: a store stub throws each failure (a stub is
 * fine here; the real stores are covered by the contract and HTTP suites).
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { json } from "../../test/support/app.js";
import { createApp } from "../app.js";
import { MemoryUserStore } from "../store/memory-user-store.js";
import { StoreUnavailableError, UserExistsError, UserNotFoundError } from "../store/user-store.js";

function appThrowing(error: Error) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const store = new MemoryUserStore();
  store.get = async () => {
    throw error;
  };
  const app = createApp({ store, logger: pino({ level: "info" }, sink), version: "t" });
  return { app, lines };
}

describe("error mapping", () => {
  it.each([
    [new UserNotFoundError("alice"), 404],
    [new UserExistsError("alice"), 409],
    [new StoreUnavailableError("down"), 503],
    [new Error("secret internal detail"), 500],
    [new TypeError("x is not a function"), 500],
  ])("maps %s to %i problem+json", async (error, status) => {
    const { app } = appThrowing(error);
    const response = await app.request("/user/alice");
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-app-version")).toBe("t");
    const body = await json(response);
    expect(body.status).toBe(status);
  });

  it("never returns the cause of a 500, and logs it with the request id", async () => {
    const { app, lines } = appThrowing(new Error("secret internal detail"));
    const response = await app.request("/user/alice", { headers: { "x-request-id": "req-1" } });
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(text).not.toMatch(/\.ts:\d+/);
    const logged = lines.map((line) => JSON.parse(line));
    const errorLine = logged.find((l) => l.msg === "unhandled error");
    expect(errorLine).toMatchObject({ reqId: "req-1", err: { message: "secret internal detail" } });
    expect(logged.find((l) => l.msg === "request")).toMatchObject({
      reqId: "req-1",
      method: "GET",
      route: "/user/:username",
      status: 500,
    });
  });

  it("adds Retry-After to 503", async () => {
    const { app } = appThrowing(new StoreUnavailableError("down"));
    expect((await app.request("/user/alice")).headers.get("retry-after")).toBe("1");
  });
});

describe("client aborts", () => {
  it("maps a body stream reset by the client to 400 and logs it below error level", async () => {
    const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    const { app, lines } = appThrowing(aborted);
    const response = await app.request("/user/alice");
    expect(response.status).toBe(400);
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged.some((l) => l.level >= 50)).toBe(false);
    expect(logged.some((l) => l.msg === "client aborted the request body")).toBe(true);
  });
});
