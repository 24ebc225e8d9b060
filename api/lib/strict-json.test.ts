import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findAmbiguity, parseStrictJson } from "./strict-json.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("parseStrictJson", () => {
  it("returns what JSON.parse returns for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(bytes(text))).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it.each([
    [
      "invalid UTF-8",
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      /not valid UTF-8/,
    ],
    [
      "a UTF-8 encoded surrogate",
      Uint8Array.from([0x22, 0xed, 0xbf, 0xbf, 0x22]),
      /not valid UTF-8/,
    ],
    ["an overlong encoding", Uint8Array.from([0x22, 0xc0, 0xaf, 0x22]), /not valid UTF-8/],
    ["broken syntax", bytes('{"a":1,}'), /not valid JSON/],
    ["an empty body", bytes(""), /not valid JSON/],
    ["a lone low surrogate", bytes('{"firstname":"\\udfff"}'), /lone UTF-16 surrogate/],
    ["a lone high surrogate", bytes('["x\\ud800y"]'), /lone UTF-16 surrogate/],
    ["a reversed pair", bytes('"\\udc00\\ud800"'), /lone UTF-16 surrogate/],
    ["a lone surrogate in a key", bytes('{"\\ud800":1}'), /lone UTF-16 surrogate/],
    ["a duplicate key", bytes('{"a":1,"a":2}'), /key "a" twice/],
    ["a duplicate written with an escaped", bytes('{"a":1,"\\u0061":2}'), /key "a" twice/],
    ["a nested duplicate", bytes('{"x":[{"b":1,"c":{"d":1,"d":1}}]}'), /key "d" twice/],
  ])("refuses %s", (_, body, detail) => {
    const result = parseStrictJson(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toMatch(detail);
  });

  it.each([
    ['{"a":{"a":1},"b":[{"a":2},{"a":3}]}', "equal keys in different objects"],
    ['"\\ud83d\\ude00"', "an escaped surrogate pair"],
    ['{"a\\"":1,"a":2}', "keys that differ by an escaped quote"],
    ['{"a":"\\"a\\":"}', "a value that looks like a key"],
    ["\ufeff{}", "a byte order mark"],
  ])("accepts %j (%s)", (text) => {
    expect(parseStrictJson(bytes(text)).ok).toBe(true);
  });

  it("finds a duplicate key exactly when an object has one, however the keys are written", () => {
    const key = fc.constantFrom("a", "b", "é", "😀", '"', "\\");
    // Escaped: every UTF-16 unit as \uXXXX, so "😀" becomes a surrogate pair of escapes.
    const write = (name: string, escaped: boolean) =>
      escaped
        ? `"${[...Array(name.length).keys()].map((i) => `\\u${name.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")}"`
        : JSON.stringify(name);
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.boolean()), { maxLength: 5 }), (members) => {
        const text = `{${members.map(([name, escaped], i) => `${write(name, escaped)}:${i}`).join(",")}}`;
        const names = members.map(([name]) => name);
        const duplicated = new Set(names).size !== names.length;
        expect(findAmbiguity(text) !== undefined).toBe(duplicated);
      }),
      { numRuns: 1000, seed: 2 },
    );
  });
});
