// The Worker: the only entry point. Resolves the star from the path and forwards to its DO. An app
// exports it as its default (or calls its `fetch` from its own, for routes of its own).
import {
  ErrorKind,
  isStarId,
  MAX_RPC_BODY_BYTES,
  STAR_ID_HEADER,
  STARS_PATH_PREFIX,
} from '@lumenize/protocol'
import type { Env } from './env'
import { httpError } from './http'
import { rpcTooLarge } from './rpc/http'

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url)
    if (!url.pathname.startsWith(STARS_PATH_PREFIX)) {
      return httpError(
        404,
        ErrorKind.notFound,
        `Unknown path ${url.pathname}; star routes start with ${STARS_PATH_PREFIX}`,
      )
    }
    const starId = decodeURIComponent(url.pathname.slice(STARS_PATH_PREFIX.length).split('/')[0] ?? '')
    if (!isStarId(starId)) {
      return httpError(
        400,
        ErrorKind.invalidStarId,
        `Invalid star id "${starId}": expected universe.galaxy.star`,
        {
          starId,
        },
      )
    }
    // Refuse an oversized body before it travels to the DO.
    if (Number(request.headers.get('content-length') ?? '0') > MAX_RPC_BODY_BYTES) return rpcTooLarge()
    const stub = env.STAR.get(env.STAR.idFromName(starId))
    const forwarded = new Request(request)
    forwarded.headers.set(STAR_ID_HEADER, starId)
    return stub.fetch(forwarded)
  },
} satisfies ExportedHandler<Env>
