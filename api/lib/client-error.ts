/**
 * Answers to requests that never reach the app: Node's HTTP parser rejects
 * them (broken request line, unknown method, bad header bytes, headers or
 * target too large), the Node adapter cannot turn them into a `Request`, or
 * they carry an `Expect` the server does not meet. Node's own answers are
 * bare; these keep the contract: problem+json with its proper title, and
 * the headers of every other response (`x-app-version`, `x-request-id`,
 * the security headers).
 */
import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { standardHeaders } from "../middleware/standard-headers.js";
import { PROBLEM_CONTENT_TYPE, problem } from "./problem.js";

/** Longest request target (path and query) the server reads: longer ones are 414. */
export const MAX_TARGET_BYTES = 8192;

export interface ResponseIdentity {
  readonly version: string;
  readonly requestId: string;
}

const DETAIL_BY_STATUS: Record<number, string> = {
  400: "the request is not valid HTTP/1.1",
  408: "the request was not received in time",
  414: `the request target is longer than ${MAX_TARGET_BYTES} bytes`,
  431: "the request headers are too large",
  501: "the request method is not implemented by this server",
};

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The first line of what the client sent, when the packet starts with one. */
function requestLine(rawPacket: Buffer | undefined): string | undefined {
  if (rawPacket === undefined) return undefined;
  const end = rawPacket.indexOf(0x0a);
  return rawPacket.toString("latin1", 0, end === -1 ? rawPacket.length : end).replace(/\r$/, "");
}

/**
 * The status for a parser error. Node counts the request line into its
 * header limit, so an over-long target surfaces as a header overflow:
 * told apart by the request line in the packet (a target split over several
 * TCP packets reads as 431). An unknown method that is a valid token is
 * 501 (RFC 9110 §9.1); a method that is not a token is 400.
 */
export function clientErrorStatus(error: { code?: string; rawPacket?: Buffer }): number {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW": {
      const [method = "", target = ""] = requestLine(error.rawPacket)?.split(" ") ?? [];
      return TOKEN.test(method) && target.length > MAX_TARGET_BYTES ? 414 : 431;
    }
    case "HPE_REQUEST_TIMEOUT":
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    case "HPE_INVALID_METHOD": {
      const parts = requestLine(error.rawPacket)?.split(" ") ?? [];
      const wellFormed =
        parts.length === 3 && TOKEN.test(parts[0] ?? "") && /^HTTP\/\d\.\d$/.test(parts[2] ?? "");
      return wellFormed ? 501 : 400;
    }
    default:
      return 400;
  }
}

/** The header lines every response carries, for a response written by hand. */
function headerLines(identity: ResponseIdentity): string[] {
  return [
    ...standardHeaders(identity.version).map(([name, value]) => `${name}: ${value}`),
    `x-request-id: ${identity.requestId}`,
  ];
}

/** The raw HTTP response for a parser error, or undefined when the client is already gone. */
export function clientErrorResponse(
  error: { code?: string; rawPacket?: Buffer },
  identity: ResponseIdentity,
): string | undefined {
  if (error.code === "ECONNRESET" || error.code === "EPIPE") return undefined;
  const status = clientErrorStatus(error);
  const body = JSON.stringify(problem(status, DETAIL_BY_STATUS[status] ?? "bad request"));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    ...headerLines(identity),
    "",
    body,
  ].join("\r\n");
}

/**
 * The answer to a request the Node adapter cannot turn into a `Request`
 * (e.g. a backslash in the path): a 400 problem document instead of the
 * adapter's bare 400.
 */
export function invalidRequestResponse(identity: ResponseIdentity): Response {
  return new Response(
    JSON.stringify(problem(400, "the request target is not a valid URL for this server")),
    {
      status: 400,
      headers: [
        ["content-type", PROBLEM_CONTENT_TYPE],
        ...standardHeaders(identity.version),
        ["x-request-id", identity.requestId],
      ] as [string, string][],
    },
  );
}

/**
 * RFC 9110 §10.1.1: an `Expect` other than 100-continue may be refused with
 * 417. Node does that itself, bare; the server's `checkExpectation` handler
 * calls this instead. The connection closes, since the body was not read.
 */
export function writeExpectationFailed(
  res: ServerResponse,
  expectation: string,
  identity: ResponseIdentity,
): void {
  const body = JSON.stringify(
    problem(
      417,
      `the server supports no expectation but 100-continue, not '${expectation.slice(0, 100)}'`,
    ),
  );
  res.writeHead(
    417,
    Object.fromEntries([
      ["content-type", PROBLEM_CONTENT_TYPE],
      ["content-length", String(Buffer.byteLength(body))],
      ["connection", "close"],
      ...standardHeaders(identity.version),
      ["x-request-id", identity.requestId],
    ]),
  );
  res.end(body);
}
