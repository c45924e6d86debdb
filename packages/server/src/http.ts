// Small helpers for JSON responses and wire errors over HTTP.
import type { ErrorKind, HttpErrorBody } from '@lumenize/protocol'

/** A JSON response with the given status. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/** A JSON error response `{ error: { kind, message, details? } }`. */
export function httpError(
  status: number,
  kind: ErrorKind,
  message: string,
  details?: Record<string, unknown>,
  headers: HeadersInit = {},
): Response {
  const body: HttpErrorBody = { error: details ? { kind, message, details } : { kind, message } }
  return json(body, status, headers)
}
