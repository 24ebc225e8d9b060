/**
 * A small Prometheus HTTP API client: instant queries at a given time, with a
 * timeout. Any failure (unreachable, HTTP error, `status: error`, a result
 * that is not a vector) is a PrometheusError: the driver then stops safely.
 */

export class PrometheusError extends Error {
  override readonly name = "PrometheusError";
}

/** One sample of an instant vector: its labels and value. */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface QueryAnswer {
  readonly status?: string;
  readonly error?: string;
  readonly errorType?: string;
  readonly data?: {
    readonly resultType?: string;
    readonly result?: { metric: Record<string, string>; value: [number, string] }[];
  };
}

export interface PrometheusClient {
  /** Evaluates `expr` at `time` (ms since the epoch). */
  query(expr: string, time: number): Promise<VectorSample[]>;
}

/** A client for the Prometheus at `baseUrl`. */
export function prometheusClient(baseUrl: string, timeoutMs: number): PrometheusClient {
  return {
    async query(expr, time) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}/api/v1/query`, {
          method: "POST",
          body: new URLSearchParams({ query: expr, time: (time / 1000).toFixed(3) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const cause =
          (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        throw new PrometheusError(`Prometheus at ${baseUrl} unreachable: ${cause}`);
      }
      let answer: QueryAnswer;
      try {
        answer = (await response.json()) as QueryAnswer;
      } catch {
        throw new PrometheusError(`Prometheus answered ${response.status} without JSON`);
      }
      if (!response.ok || answer.status !== "success") {
        throw new PrometheusError(
          `Prometheus answered ${response.status}: ${answer.errorType ?? ""} ${answer.error ?? ""}`.trim(),
        );
      }
      if (answer.data?.resultType !== "vector" || !Array.isArray(answer.data.result)) {
        throw new PrometheusError(`expected a vector from ${expr}, got ${answer.data?.resultType}`);
      }
      return answer.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
    },
  };
}
