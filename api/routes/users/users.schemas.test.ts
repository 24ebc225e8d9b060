import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CreateUserSchema,
  EMAIL_PATTERN,
  ListUsersQuerySchema,
  NAME_PATTERN,
  PatchUserSchema,
  STORED_NAME_PATTERN,
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

describe("list query", () => {
  it("parses limit and cursor from the query, with limit 20 by default", () => {
    expect(ListUsersQuerySchema.parse({ limit: "5", cursor: "bob" })).toEqual({
      limit: 5,
      cursor: "bob",
    });
    expect(ListUsersQuerySchema.parse({})).toEqual({ limit: 20 });
  });

  it.each(["0", "101", "-1", "1.5", "abc", "", "1e2", "05", "+5", " 5", ["1", "2"]])(
    "rejects limit %j",
    (limit) => {
      expect(ListUsersQuerySchema.safeParse({ limit }).success).toBe(false);
    },
  );

  it.each(["", "ab", "Alice", "QUxJQ0U", "a".repeat(33), ["alice", "bob"]])(
    "rejects cursor %j",
    (cursor) => {
      expect(ListUsersQuerySchema.safeParse({ cursor }).success).toBe(false);
    },
  );

  it.each(["sort", "LIMIT", "__proto__"])("rejects the unknown parameter %s", (name) => {
    expect(ListUsersQuerySchema.safeParse({ [name]: "5" }).success).toBe(false);
  });
});

/** The name rule written out the long way, to hold the one-pattern version to it. */
function nameRule(value: string): boolean {
  if (/[\p{Cc}]/u.test(value) || /[\uD800-\uDFFF]/u.test(value)) return false;
  const length = [...value.trim()].length;
  return length >= 1 && length <= 100;
}

describe("NAME_PATTERN", () => {
  it("is exactly the rule: no control characters or lone surrogates, 1-100 code points after trim()", () => {
    const pieces = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.constantFrom(
        " ",
        "\t",
        "\u00a0",
        "\u2028",
        "\ufeff",
        "\u3000",
        "\u0085",
        "\ud800",
        "\udfff",
        "😀",
      ),
      fc.nat({ max: 102 }).map((n) => "x".repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 6 }), (parts) => {
        const value = parts.join("");
        expect(NAME_PATTERN.test(value)).toBe(nameRule(value));
        if (nameRule(value)) expect(STORED_NAME_PATTERN.test(value.trim())).toBe(true);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it.each([
    [` ${"x".repeat(100)} `, true],
    ["x".repeat(101), false],
    ["😀".repeat(100), true],
    ["\u2028Ann\u2028", true],
    ["Ann\u0085", false],
    ["\udfff", false],
  ])("%j → %s", (value, valid) => {
    expect(NAME_PATTERN.test(value)).toBe(valid);
    expect(CreateUserSchema.safeParse({ ...validUser, firstname: value }).success).toBe(valid);
  });
});

const validUser = { username: "alice", firstname: "Alice", lastname: "Liddell" };

describe("EMAIL_PATTERN (WHATWG HTML valid e-mail address)", () => {
  it.each(["a@b.c", "a@127.0.0.1", "a@localhost", "x.y+z@sub.example.org", "o'neil@example.com"])(
    "accepts %s on both sides",
    (email) => {
      expect(EMAIL_PATTERN.test(email)).toBe(true);
      expect(CreateUserSchema.safeParse({ ...validUser, email }).success).toBe(true);
    },
  );

  it.each([
    "a@example-.com",
    "a@-example.com",
    "a@",
    "@b.c",
    "a b@c.d",
    "a@b..c",
    "ä@b.c",
    "a@b_c.d",
  ])("rejects %s on both sides", (email) => {
    expect(EMAIL_PATTERN.test(email)).toBe(false);
    expect(CreateUserSchema.safeParse({ ...validUser, email }).success).toBe(false);
  });
});
