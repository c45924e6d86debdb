// Turns the star's typed methods into the dispatcher's table: params are parsed with their schema
// and store errors become JSON-RPC errors with stable codes and a `data` payload.
import { APP_ERROR_CODES, ErrorKind, FilterError, JSON_RPC_ERRORS } from '@lumenize/protocol'
import * as v from 'valibot'
import { LumenizeError } from '../errors'
import { RpcError, type RpcMethod, type RpcMethods } from './jsonrpc'
import { type AnyStarMethod, type RpcContext, STAR_METHODS } from './methods'

/** Maps an error thrown by a method to the JSON-RPC error the caller sees. */
export function toRpcError(err: unknown): unknown {
  if (err instanceof LumenizeError) {
    return new RpcError(APP_ERROR_CODES[err.kind], err.message, { kind: err.kind, ...err.details })
  }
  if (err instanceof FilterError) {
    return new RpcError(JSON_RPC_ERRORS.invalidParams, err.message, {
      kind: ErrorKind.invalidFilter,
      path: err.path,
    })
  }
  return err
}

function adapt(m: AnyStarMethod): RpcMethod<RpcContext> {
  return {
    paramNames: m.paramNames,
    run(params, ctx) {
      const parsed = v.safeParse(m.params, params)
      if (!parsed.success) {
        const issues = parsed.issues.map((i) => ({ path: v.getDotPath(i) ?? '', message: i.message }))
        throw new RpcError(
          JSON_RPC_ERRORS.invalidParams,
          `Invalid params: ${issues.map((i) => `${i.path || '(params)'}: ${i.message}`).join('; ')}`,
          { kind: ErrorKind.validation, issues },
        )
      }
      try {
        // The schema parsed exactly the params this method's run was written for.
        return m.run(parsed.output as never, ctx)
      } catch (err) {
        throw toRpcError(err)
      }
    },
  }
}

/** The dispatcher table of every public method of the star. */
export const RPC_TABLE: RpcMethods<RpcContext> = Object.fromEntries(
  Object.entries(STAR_METHODS).map(([name, m]) => [name, adapt(m)]),
)
