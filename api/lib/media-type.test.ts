import { describe, expect, it } from "vitest";
import { declaredCharsets, parseMediaType } from "./media-type.js";

describe("parseMediaType (RFC 9110 §8.3.1)", () => {
  it.each([
    ["application/json", "application/json", []],
    ["application/json;", "application/json", []],
    ["application/json ; charset=utf-8", "application/json", [["charset", "utf-8"]]],
    ['Application/JSON;;Charset="UTF-8"', "application/json", [["charset", "UTF-8"]]],
    ["application/json;\tcharset=utf-8 ;", "application/json", [["charset", "utf-8"]]],
    ["application/merge-patch+json", "application/merge-patch+json", []],
    ['text/plain; x="a\\"b"', "text/plain", [["x", 'a"b']]],
  ])("parses %j", (value, essence, parameters) => {
    expect(parseMediaType(value)).toEqual({ essence, parameters });
  });

  it.each([
    "",
    "application",
    "application/",
    "/json",
    "application/json charset=utf-8",
    "application/json; charset",
    "application/json; charset=",
    'application/json; charset="unterminated',
    "application /json",
    "applic@tion/json",
    "application/json, text/plain",
  ])("refuses %j", (value) => {
    expect(parseMediaType(value)).toBeUndefined();
  });

  it("lists every declared charset, so a second one cannot hide", () => {
    const type = parseMediaType("application/json; charset=utf-8; charset=latin1");
    expect(type && declaredCharsets(type)).toEqual(["utf-8", "latin1"]);
  });
});
