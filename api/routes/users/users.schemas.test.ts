import { describe, expect, it } from "vitest";
import {
  CreateUserSchema,
  decodeCursor,
  encodeCursor,
  ListUsersQuerySchema,
  PatchUserSchema,
  UsernameSchema,
} from "./users.schemas.js";

const valid = { username: "alice", firstname: "Alice", lastname: "Liddell" };

describe("UsernameSchema", () => {
  it.each(["abc", "a.b", "a-b", "a_b", "0ab", "a".repeat(32), "alice.liddell-1_x"])(
    "accepts %j",
    (name) => {
      expect(UsernameSchema.safeParse(name).success).toBe(true);
    },
  );

  it.each([
    "ab",
    "a".repeat(33),
    "Alice",
    "_ab",
    ".ab",
    "-ab",
    "a b",
    "al/ce",
    "älice",
    "",
    "abc\n",
  ])("rejects %j", (name) => {
    expect(UsernameSchema.safeParse(name).success).toBe(false);
  });
});

describe("CreateUserSchema", () => {
  it("trims names and keeps the email", () => {
    const parsed = CreateUserSchema.parse({
      ...valid,
      firstname: "  Alice ",
      email: "alice@example.com",
    });
    expect(parsed).toEqual({ ...valid, email: "alice@example.com" });
  });

  it("counts Unicode code points, not UTF-16 units", () => {
    const hundredEmoji = "😀".repeat(100);
    expect(CreateUserSchema.safeParse({ ...valid, firstname: hundredEmoji }).success).toBe(true);
    expect(CreateUserSchema.safeParse({ ...valid, firstname: `${hundredEmoji}😀` }).success).toBe(
      false,
    );
  });

  it.each([
    ["an empty name", { firstname: "" }, "firstname"],
    ["a blank name", { lastname: "   " }, "lastname"],
    ["101 characters", { lastname: "x".repeat(101) }, "lastname"],
    ["a control character", { firstname: "Al\u0000ice" }, "firstname"],
    ["a newline", { firstname: "Alice\n" }, "firstname"],
    ["a DEL character", { lastname: "Lid\u007fdell" }, "lastname"],
    ["a number", { firstname: 7 }, "firstname"],
    ["a bad email", { email: "not-an-email" }, "email"],
    ["a long email", { email: `${"a".repeat(250)}@x.io` }, "email"],
    ["an unknown field", { role: "admin" }, "role"],
    ["a bad username", { username: "Bad Name" }, "username"],
  ])("rejects %s", (_, change, path) => {
    const result = CreateUserSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) =>
      i.code === "unrecognized_keys" ? i.keys[0] : i.path.join("."),
    );
    expect(paths).toContain(path);
  });

  it.each([null, [], "x", 1])("rejects a body that is not an object: %j", (body) => {
    expect(CreateUserSchema.safeParse(body).success).toBe(false);
  });

  it("accepts null email as no email", () => {
    expect(CreateUserSchema.parse({ ...valid, email: null }).email).toBeNull();
  });
});

describe("PatchUserSchema", () => {
  it("rejects an empty patch", () => {
    expect(PatchUserSchema.safeParse({}).success).toBe(false);
    expect(PatchUserSchema.safeParse({ username: "alice" }).success).toBe(false);
  });

  it("accepts a single field and email null", () => {
    expect(PatchUserSchema.parse({ lastname: " L " })).toEqual({ lastname: "L" });
    expect(PatchUserSchema.parse({ email: null })).toEqual({ email: null });
  });
});

describe("page cursor", () => {
  it("round-trips a username", () => {
    expect(decodeCursor(encodeCursor("alice.b"))).toBe("alice.b");
  });

  it.each(["", "!!!", "QUxJQ0U", encodeCursor("ab"), "YWxpY2U=", "a".repeat(65)])(
    "rejects %j",
    (cursor) => {
      expect(decodeCursor(cursor)).toBeUndefined();
    },
  );

  it("parses limit and cursor from the query", () => {
    expect(ListUsersQuerySchema.parse({ limit: "5", cursor: encodeCursor("bob") })).toEqual({
      limit: 5,
      cursor: "bob",
    });
  });

  it.each(["0", "101", "-1", "1.5", "abc", "", "1e2"])("rejects limit %j", (limit) => {
    expect(ListUsersQuerySchema.safeParse({ limit }).success).toBe(false);
  });
});
