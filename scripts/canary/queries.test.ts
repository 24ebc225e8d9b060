import { describe, expect, it } from "vitest";
import { promqlSyntaxErrors } from "../../charts/monitoring/promql.js";
import { sourceQueries } from "./queries.js";

describe("sourceQueries", () => {
  it.each(["app", "mesh"] as const)(
    "%s: valid PromQL, grouped by version, over the window",
    (source) => {
      const q = sourceQueries(source, "userapi", 60);
      for (const expr of [q.requests, q.errors, q.p99Seconds]) {
        expect(promqlSyntaxErrors(expr), expr).toEqual([]);
        expect(expr).toContain('job="userapi",namespace="userapi"');
        expect(expr).toContain("[60000ms]");
        expect(expr).toMatch(/sum by \(version(, le)?\) \(increase\(/);
      }
    },
  );

  it("app: the user routes of http_requests_total, 5xx as errors, p99 of the duration histogram", () => {
    const q = sourceQueries("app", "userapi", 3);
    expect(q.requests).toBe(
      'sum by (version) (increase(http_requests_total{job="userapi",namespace="userapi",route=~"/user|/user/:username"}[3000ms]))',
    );
    expect(q.errors).toContain('status=~"5.."');
    expect(q.p99Seconds).toMatch(
      /^histogram_quantile\(0\.99, sum by \(version, le\) \(increase\(http_request_duration_seconds_bucket\{/,
    );
  });

  it("mesh: the sidecar's inbound view, in seconds", () => {
    const q = sourceQueries("mesh", "userapi", 3);
    expect(q.requests).toContain(
      'istio_requests_total{job="userapi",namespace="userapi",reporter="destination"}',
    );
    expect(q.errors).toContain('response_code=~"5.."');
    expect(q.p99Seconds).toMatch(/istio_request_duration_milliseconds_bucket.*\) \/ 1000$/);
  });

  it("quotes a label value safely", () => {
    expect(sourceQueries("app", 'a"b', 3).requests).toContain('namespace="a\\"b"');
  });
});
