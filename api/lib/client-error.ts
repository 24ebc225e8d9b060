/**
 * The answer to a request Node's HTTP parser rejects before the app sees it
 * (broken request line, bad header bytes, headers too large). Node's own
 * answer is a bare `400` with no body; this keeps the contract instead:
 * problem+json, `x-app-version`, `x-request-id`, then the connection closes.
 */
import { STATUS_CODES } from "node:http";
import { problem } from "./problem.js";

const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_REQUEST_TIMEOUT: 408,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const DETAIL_BY_STATUS: Record<number, string> = {
  400: "the request is not valid HTTP/1.1",
  408: "the request was not received in time",
  431: "the request headers are too large",
};

/** The raw HTTP response for a parser error, or undefined when the client is already gone. */
export function clientErrorResponse(
  error: { code?: string },
  headers: { version: string; requestId: string },
): string | undefined {
  if (error.code === "ECONNRESET" || error.code === "EPIPE") return undefined;
  const status = STATUS_BY_CODE[error.code ?? ""] ?? 400;
  const body = JSON.stringify(problem(status, DETAIL_BY_STATUS[status] ?? "bad request"));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "content-type: application/problem+json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    "x-content-type-options: nosniff",
    `x-app-version: ${headers.version}`,
    `x-request-id: ${headers.requestId}`,
    "",
    body,
  ].join("\r\n");
}

/**
 * The answer to a request the Node adapter cannot turn into a `Request`
 * (e.g. the target `*` or a backslash in the path): a 400 problem document
 * instead of the adapter's bare 400.
 */
export function invalidRequestResponse(headers: { version: string; requestId: string }): Response {
  return new Response(
    JSON.stringify(problem(400, "the request target is not a valid URL for this server")),
    {
      status: 400,
      headers: {
        "content-type": "application/problem+json",
        "x-content-type-options": "nosniff",
        "x-app-version": headers.version,
        "x-request-id": headers.requestId,
      },
    },
  );
}
