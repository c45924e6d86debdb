// `POST /stars/<id>/rpc`: JSON-RPC 2.0 over HTTP. A batch runs in one DO turn, in order.
import { ErrorKind, JSON_RPC_ERRORS, JSONRPC_VERSION, MAX_RPC_BODY_BYTES } from '@lumenize/protocol'
import { httpError } from '../http'
import { dispatchSync } from './jsonrpc'
import type { RpcContext } from './methods'
import { RPC_TABLE } from './table'

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

/** The 413 answer to an oversized JSON-RPC body (also used by the Worker before forwarding). */
export function rpcTooLarge(): Response {
  const body = {
    jsonrpc: JSONRPC_VERSION,
    error: {
      code: JSON_RPC_ERRORS.invalidRequest,
      message: `Request body is over ${MAX_RPC_BODY_BYTES} bytes: split the batch`,
      data: { kind: ErrorKind.payloadTooLarge, limit: MAX_RPC_BODY_BYTES },
    },
    id: null,
  }
  return new Response(JSON.stringify(body), { status: 413, headers: JSON_HEADERS })
}

export async function handleRpcRequest(request: Request, ctx: RpcContext): Promise<Response> {
  if (request.method !== 'POST') {
    return httpError(405, ErrorKind.methodNotAllowed, 'Use POST with a JSON-RPC 2.0 body', undefined, {
      allow: 'POST',
    })
  }
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > MAX_RPC_BODY_BYTES) return rpcTooLarge()
  const body = await request.text()
  if (new TextEncoder().encode(body).byteLength > MAX_RPC_BODY_BYTES) return rpcTooLarge()
  const reply = dispatchSync(RPC_TABLE, body, ctx, {
    onInternalError: (err, method) => console.error(`rpc ${method} failed`, err),
  })
  if (reply === undefined) return new Response(null, { status: 204 })
  return new Response(reply, { status: 200, headers: JSON_HEADERS })
}
