import { describe, expect, it } from "vitest";
import { type CanaryOptions, durationMs, parseCanaryArgs, UsageError } from "./options.js";

function parse(argv: string[], env: Record<string, string> = {}): CanaryOptions {
  const parsed = parseCanaryArgs(argv, env);
  if ("help" in parsed) throw new Error("unexpected --help");
  return parsed;
}

function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCanaryArgs(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`expected a UsageError for ${argv.join(" ")}`);
}

describe("parseCanaryArgs", () => {
  it("has the documented defaults", () => {
    expect(parse([])).toEqual({
      prometheusUrl: "http://127.0.0.1:9090",
      steps: [25, 50, 75, 100],
      interval: 60_000,
      scrapeInterval: 15_000,
      minRequests: 50,
      maxInconclusive: 3,
      minSuccess: 0.99,
      maxP99: 500,
      maxSuccessDrop: 0.01,
      maxP99Ratio: 2,
      p99Slack: 50,
      sources: ["app", "mesh"],
      splitter: "kubernetes",
      routerUrl: undefined,
      kubeContext: undefined,
      namespace: "userapi",
      log: undefined,
      load: false,
      rollback: false,
      baseUrl: undefined,
      rate: 20,
      token: undefined,
      queryTimeout: 5000,
    });
  });

  it("reads every flag", () => {
    const options = parse([
      "--steps",
      "10,100",
      "--interval",
      "3s",
      "--scrape-interval",
      "1s",
      "--min-requests",
      "5",
      "--max-inconclusive",
      "4",
      "--min-success",
      "0.95",
      "--max-p99",
      "1s",
      "--max-success-drop",
      "0.02",
      "--max-p99-ratio",
      "3",
      "--p99-slack",
      "100ms",
      "--sources",
      "mesh",
      "--splitter",
      "router",
      "--router-url",
      "http://127.0.0.1:1234/",
      "--namespace",
      "prod",
      "--log",
      "out.json",
      "--load",
      "--base-url",
      "http://127.0.0.1:30080",
      "--rate",
      "50",
      "--token",
      "abc",
      "--kube-context",
      "kind-x",
      "--prometheus-url",
      "http://prom:9090",
      "--query-timeout",
      "2s",
    ]);
    expect(options).toMatchObject({
      steps: [10, 100],
      interval: 3000,
      scrapeInterval: 1000,
      minRequests: 5,
      maxInconclusive: 4,
      minSuccess: 0.95,
      maxP99: 1000,
      maxSuccessDrop: 0.02,
      maxP99Ratio: 3,
      p99Slack: 100,
      sources: ["mesh"],
      splitter: "router",
      routerUrl: "http://127.0.0.1:1234",
      namespace: "prod",
      log: "out.json",
      load: true,
      baseUrl: "http://127.0.0.1:30080",
      rate: 50,
      token: "abc",
      kubeContext: "kind-x",
      prometheusUrl: "http://prom:9090",
      queryTimeout: 2000,
    });
  });

  it("takes the token and Prometheus from the environment, flags first", () => {
    const env = { USERAPI_TOKEN: "from-env", PROMETHEUS_URL: "http://env:9090" };
    expect(parse([], env)).toMatchObject({ token: "from-env", prometheusUrl: "http://env:9090" });
    expect(parse(["--token", "flag"], env).token).toBe("flag");
    expect(parse([], { USERAPI_TOKEN: "" }).token).toBeUndefined();
  });

  it("answers --help", () => {
    expect(parseCanaryArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    [["--steps", "50,25,100"], /^--steps: must increase from step to step \(got "50,25,100"\)$/],
    [["--steps", "25,50"], /^--steps: must end at 100/],
    [["--steps", "0,100"], /^--steps: must be comma-separated integer v2 weights from 1 to 100/],
    [["--steps", "25,x,100"], /^--steps: must be comma-separated/],
    [
      ["--interval", "10"],
      /^--interval: must be a duration .* like 500ms, 30s or 1m \(got "10"\)$/,
    ],
    [["--interval", "20s"], /^--interval: must be at least twice --scrape-interval \(15000 ms\)/],
    [
      ["--min-success", "1.5"],
      /^--min-success: must be a ratio from 0 to 1, e\.g\. 0\.99 \(got "1\.5"\)$/,
    ],
    [["--max-p99-ratio", "0.5"], /^--max-p99-ratio: must be a factor of at least 1/],
    [["--min-requests", "0"], /^--min-requests: must be an integer from 1 to 1000000 \(got "0"\)$/],
    [["--max-inconclusive", "1000"], /^--max-inconclusive: must be an integer from 1 to 100/],
    [["--sources", "app,istio"], /^--sources: must be app, mesh or app,mesh \(got "app,istio"\)$/],
    [["--splitter", "flagger"], /^--splitter: must be kubernetes or router$/],
    [["--splitter", "router"], /^--router-url: is required with --splitter router$/],
    [["--load"], /^--base-url: is required with --load/],
    [
      ["--rollback", "--load", "--base-url", "http://x"],
      /^--rollback: cannot be combined with --load$/,
    ],
    [["--prometheus-url", "prom:9090"], /^--prometheus-url: must be an http\(s\) URL/],
    [["--token", ""], /^--token: must not be empty/],
    [["--namespace", "Bad_NS"], /^--namespace: must be a namespace name$/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["extra"], /positional/],
  ])("rejects %j with a message naming the flag", (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });

  it("reports every bad flag at once", () => {
    expect(usageError(["--rate", "0", "--min-success", "x"]).split("\n")).toHaveLength(2);
  });
});

describe("durationMs", () => {
  it.each([
    ["500ms", 500],
    ["3s", 3000],
    ["1.5m", 90_000],
    [" 2s ", 2000],
    ["2", undefined],
    ["1h", undefined],
    ["-1s", undefined],
  ])("%j is %j ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});
