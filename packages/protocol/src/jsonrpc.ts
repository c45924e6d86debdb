// JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification) spoken on `POST /stars/<id>/rpc`
// and in JSON-RPC frames on the star's WebSocket. Methods and their params are defined by the server.
import * as v from 'valibot'

/** The only `jsonrpc` value the specification allows. */
export const JSONRPC_VERSION = '2.0'

/** The error codes the specification defines; application errors must stay outside -32768..-32000. */
export const JSON_RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const

export type JsonRpcStandardErrorCode = (typeof JSON_RPC_ERRORS)[keyof typeof JSON_RPC_ERRORS]

// A non-finite number has no JSON spelling, so it cannot round-trip as an id.
export const JsonRpcIdSchema = v.union([v.string(), v.pipe(v.number(), v.finite()), v.null()])

/** Correlates a response with its request; `null` only when the request's id could not be read. */
export type JsonRpcId = v.InferOutput<typeof JsonRpcIdSchema>

/** Checks an id on its own, so an otherwise invalid request can still be answered under its id. */
export function isJsonRpcId(value: unknown): value is JsonRpcId {
  return v.is(JsonRpcIdSchema, value)
}

// Arrays first: valibot's record accepts arrays too, and positional params must stay positional.
export const JsonRpcParamsSchema = v.union([v.array(v.unknown()), v.record(v.string(), v.unknown())])

/** Params by position (array) or by name (object). */
export type JsonRpcParams = v.InferOutput<typeof JsonRpcParamsSchema>

/**
 * A request; without `id` it is a notification, which is never answered. Strict: an unknown member
 * makes the whole object an Invalid Request.
 */
export const JsonRpcRequestSchema = v.strictObject({
  jsonrpc: v.literal(JSONRPC_VERSION),
  method: v.string(),
  params: v.optional(JsonRpcParamsSchema),
  id: v.optional(JsonRpcIdSchema),
})

export type JsonRpcRequest = v.InferOutput<typeof JsonRpcRequestSchema>

/** Checks a parsed value against the request envelope (members and types, not the method's params). */
export function isJsonRpcRequest(value: unknown): value is JsonRpcRequest {
  return v.is(JsonRpcRequestSchema, value)
}

// Responses are parsed loosely (clients ignore members they do not know).
export const JsonRpcErrorObjectSchema = v.object({
  code: v.pipe(v.number(), v.integer()),
  message: v.string(),
  data: v.optional(v.unknown()),
})

/** The `error` member of a failed response. */
export type JsonRpcErrorObject = v.InferOutput<typeof JsonRpcErrorObjectSchema>

export const JsonRpcSuccessSchema = v.object({
  jsonrpc: v.literal(JSONRPC_VERSION),
  result: v.unknown(),
  id: JsonRpcIdSchema,
})

/** The answer to a request whose method returned. */
export type JsonRpcSuccess = v.InferOutput<typeof JsonRpcSuccessSchema>

export const JsonRpcFailureSchema = v.object({
  jsonrpc: v.literal(JSONRPC_VERSION),
  error: JsonRpcErrorObjectSchema,
  id: JsonRpcIdSchema,
})

/** The answer to a request that failed, or to something that was not a valid request. */
export type JsonRpcFailure = v.InferOutput<typeof JsonRpcFailureSchema>

export const JsonRpcResponseSchema = v.union([JsonRpcSuccessSchema, JsonRpcFailureSchema])

export type JsonRpcResponse = v.InferOutput<typeof JsonRpcResponseSchema>
