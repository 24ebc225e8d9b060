import { describe, expect, it } from "vitest";
import { parseSmokeArgs, UsageError } from "./options.js";

describe("parseSmokeArgs", () => {
  it("applies the defaults: auto mode, 200 requests, 25/75, 20 pinned requests per track", () => {
    expect(parseSmokeArgs(["--base-url", "http://127.0.0.1:8080/"])).toEqual({
      baseUrl: "http://127.0.0.1:8080",
      mode: "auto",
      requests: 200,
      headerRequests: 20,
      v1Weight: 25,
      v2Weight: 75,
      waitSeconds: 30,
      timeoutMs: 5000,
    });
  });

  it("reads --mode single and --mode split", () => {
    expect(parseSmokeArgs(["--base-url", "http://x", "--mode", "single"])).toMatchObject({
      mode: "single",
    });
    expect(parseSmokeArgs(["--base-url", "http://x", "--mode=split"])).toMatchObject({
      mode: "split",
    });
  });

  it.each([
    ["--v1-weight", "10", "--v2-weight", "90"],
    ["--header-requests", "5"],
  ])("takes a split flag (%s) without --mode as split mode", (...flags) => {
    expect(parseSmokeArgs(["--base-url", "http://x", ...flags])).toMatchObject({ mode: "split" });
  });

  it("reads every flag, in --flag value and --flag=value forms", () => {
    const options = parseSmokeArgs([
      "--base-url=https://gw.example.test/api",
      "--requests",
      "400",
      "--v1-weight",
      "10",
      "--v2-weight=90",
      "--header-requests",
      "5",
      "--wait-seconds",
      "0",
      "--timeout-ms",
      "250",
      "--host",
      "userapi.local",
    ]);
    expect(options).toEqual({
      baseUrl: "https://gw.example.test/api",
      mode: "split",
      requests: 400,
      v1Weight: 10,
      v2Weight: 90,
      headerRequests: 5,
      waitSeconds: 0,
      timeoutMs: 250,
      host: "userapi.local",
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it("returns help for --help", () => {
    expect(parseSmokeArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    [[], "--base-url is required"],
    [["--base-url", "ftp://x"], "--base-url: must be an http(s) URL"],
    [["--base-url", "not a url"], "--base-url: must be an http(s) URL"],
    [["--base-url", "http://x", "--requests", "0"], "--requests:"],
    [["--base-url", "http://x", "--requests", "ten"], "--requests:"],
    [["--base-url", "http://x", "--requests", "2.5"], "--requests:"],
    [["--base-url", "http://x", "--v1-weight", "101", "--v2-weight", "0"], "--v1-weight:"],
    [["--base-url", "http://x", "--v1-weight", "50"], "add up to 100 (got 50 + 75)"],
    [["--base-url", "http://x", "--bogus", "1"], "Unknown option '--bogus'"],
    [["--base-url", "http://x", "extra"], "Unexpected argument 'extra'"],
    [["--base-url", "http://x", "--mode", "canary"], "--mode: must be auto, single or split"],
    [
      ["--base-url", "http://x", "--mode", "single", "--v1-weight", "50", "--v2-weight", "50"],
      "--v1-weight: applies only to the v1/v2 split (--mode split)",
    ],
  ])("rejects %j with a message naming the flag", (argv, message) => {
    expect(() => parseSmokeArgs(argv)).toThrow(UsageError);
    expect(() => parseSmokeArgs(argv)).toThrow(message);
  });
});
