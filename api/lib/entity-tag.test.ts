import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ENTITY_TAG_CONDITION_PATTERN,
  entityTagOf,
  ifMatchHolds,
  ifNoneMatchHolds,
  parseEntityTagCondition,
  preconditionsHold,
} from "./entity-tag.js";

const alice = {
  username: "alice",
  firstname: "Alice",
  lastname: "Liddell",
  email: "a@example.com",
  createdAt: 1,
  updatedAt: 2,
};

describe("entityTagOf", () => {
  it("is the quoted SHA-1 of the fields joined by newlines (the Lua scripts compute the same)", () => {
    // printf 'alice\nAlice\nLiddell\na@example.com\n1\n2' | sha1sum
    expect(entityTagOf(alice)).toBe('"7a3b6fd9036ed7970513f487f3b1c9c45809b33c"');
  });

  it("changes with every field and with updatedAt", () => {
    const tags = new Set(
      [
        alice,
        { ...alice, firstname: "Alicia" },
        { ...alice, lastname: "L" },
        { ...alice, email: undefined },
        { ...alice, createdAt: 0 },
        { ...alice, updatedAt: 3 },
      ].map(entityTagOf),
    );
    expect(tags.size).toBe(6);
  });
});

describe("If-Match / If-None-Match values", () => {
  it.each([
    ["*", { any: true }],
    ['"a"', { any: false, tags: [{ opaque: '"a"', weak: false }] }],
    [
      'W/"a", "b"',
      {
        any: false,
        tags: [
          { opaque: '"a"', weak: true },
          { opaque: '"b"', weak: false },
        ],
      },
    ],
    [
      '"a,b" ,, "c"',
      {
        any: false,
        tags: [
          { opaque: '"a,b"', weak: false },
          { opaque: '"c"', weak: false },
        ],
      },
    ],
    ['""', { any: false, tags: [{ opaque: '""', weak: false }] }],
  ])("parses %j", (value, condition) => {
    expect(ENTITY_TAG_CONDITION_PATTERN.test(value)).toBe(true);
    expect(parseEntityTagCondition(value)).toEqual(condition);
  });

  it.each(["", "a", '"a', '"a"b', "**", '*, "a"', 'w/"a"', '"a" "b"', '"a b"', 'W/ "a"'])(
    "refuses %j",
    (value) => {
      expect(ENTITY_TAG_CONDITION_PATTERN.test(value)).toBe(false);
    },
  );

  it("parses every value the pattern accepts into tags that re-serialize to it", () => {
    fc.assert(
      fc.property(fc.stringMatching(ENTITY_TAG_CONDITION_PATTERN), (value) => {
        const condition = parseEntityTagCondition(value);
        if (condition.any) {
          expect(value).toBe("*");
          return;
        }
        // The value without the list separators (commas and whitespace outside quotes).
        let inQuotes = false;
        let bare = "";
        for (const ch of value) {
          if (ch === '"') inQuotes = !inQuotes;
          if (inQuotes || ch === '"' || !/[ \t,]/.test(ch)) bare += ch;
        }
        expect(condition.tags.map((t) => (t.weak ? `W/${t.opaque}` : t.opaque)).join("")).toBe(
          bare,
        );
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});

describe("comparisons (RFC 9110 §8.8.3.2)", () => {
  const current = '"abc"';
  const condition = (value: string) => parseEntityTagCondition(value);

  it("If-Match is strong: a weak tag never matches", () => {
    expect(ifMatchHolds(condition('"abc"'), current)).toBe(true);
    expect(ifMatchHolds(condition('"x", "abc"'), current)).toBe(true);
    expect(ifMatchHolds(condition('W/"abc"'), current)).toBe(false);
    expect(ifMatchHolds(condition('"stale"'), current)).toBe(false);
    expect(ifMatchHolds(condition("*"), current)).toBe(true);
  });

  it("If-None-Match is weak: W/ matches too", () => {
    expect(ifNoneMatchHolds(condition('W/"abc"'), current)).toBe(false);
    expect(ifNoneMatchHolds(condition('"abc"'), current)).toBe(false);
    expect(ifNoneMatchHolds(condition('"other"'), current)).toBe(true);
    expect(ifNoneMatchHolds(condition("*"), current)).toBe(false);
  });

  it("both must hold", () => {
    expect(preconditionsHold({}, current)).toBe(true);
    expect(
      preconditionsHold({ ifMatch: condition('"abc"'), ifNoneMatch: condition('"x"') }, current),
    ).toBe(true);
    expect(
      preconditionsHold({ ifMatch: condition('"abc"'), ifNoneMatch: condition("*") }, current),
    ).toBe(false);
  });
});
