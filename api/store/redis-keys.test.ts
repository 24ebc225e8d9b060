import { describe, expect, it } from "vitest";
import { DEFAULT_KEY_NAMESPACE, redisKeys } from "./redis-keys.js";

describe("redisKeys", () => {
  it("builds the user hash and index keys under one hash tag", () => {
    const keys = redisKeys();
    expect(keys.user("alice")).toBe(`{${DEFAULT_KEY_NAMESPACE}}:user:alice`);
    expect(keys.index).toBe(`{${DEFAULT_KEY_NAMESPACE}}:users`);
  });

  it("keeps namespaces apart", () => {
    expect(redisKeys("a").user("alice")).not.toBe(redisKeys("b").user("alice"));
  });

  it.each(["", "with space", "x".repeat(65), "a}b", "a:b"])("rejects namespace %j", (ns) => {
    expect(() => redisKeys(ns)).toThrow(/invalid Redis key namespace/);
  });

  it.each(["Alice", "a", "al", "a*b", "../x", "alice\n", "a".repeat(33), "{userapi}"])(
    "refuses to build a key from username %j",
    (username) => {
      expect(() => redisKeys().user(username)).toThrow(/invalid username/);
    },
  );
});
