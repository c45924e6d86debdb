// A client-core collection in Node (persistence 'memory', `ws` as WebSocket), subscribed from empty:
// createClient → client.shape(...) → the collection ready with every row of the shape.
import { randomUUID } from 'node:crypto'
import { createClient, type EntityCollection, type LumenizeClient } from '@lumenize/client-core'
import WebSocket from 'ws'
import { probeTransport } from '../browser/probe'
import { now, withTimeout } from './util'

export interface CollectionTimes {
  /** createClient → collection ready (TanStack DB status 'ready') with `expected` rows. */
  readyMs: number
  /** createClient → subscribe frame sent (cache opened, socket open, connect answered). */
  subscribeSentMs: number
  /** subscribe sent → the seed's pokeEnd reached the client (server, network, JSON.parse). */
  subscribeToPokeEndMs: number
  /** pokeEnd reached the client → collection ready (client-core and TanStack DB applying 100,000 rows). */
  pokeEndToReadyMs: number
}

export interface CollectionSeed extends CollectionTimes {
  client: LumenizeClient
  docs: EntityCollection
}

/** `ws` without permessage-deflate (its default, like browsers, is to offer it). */
class WebSocketNoDeflate extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false })
  }
}

/** Subscribes a fresh client to `params` of `entities`; the caller closes `client`. */
export async function seedCollection(options: {
  origin: string
  star: string
  params: Record<string, unknown>
  expected: number
  timeoutMs: number
  /** Offer permessage-deflate (ws's default, and every browser's). Default true. */
  deflate?: boolean
}): Promise<CollectionSeed> {
  const ws = options.deflate === false ? WebSocketNoDeflate : WebSocket
  const probe = probeTransport({ url: options.origin, star: options.star, WebSocket: ws })
  const t0 = now()
  const client = createClient({
    url: options.origin,
    star: options.star,
    persistence: 'memory',
    clientGroupId: randomUUID(),
    WebSocket: ws,
    transport: probe.transport,
  })
  try {
    const docs = client.shape('entities', options.params)
    let readyAt = Number.NaN
    docs.onFirstReady(() => {
      readyAt = now()
    })
    await withTimeout(docs.preload(), options.timeoutMs, 'collection ready')
    if (docs.size !== options.expected)
      throw new Error(`the collection holds ${docs.size} rows, expected ${options.expected}`)
    const { subscribeAt = Number.NaN, pokeEndAt = Number.NaN } = probe.marks
    return {
      client,
      docs,
      readyMs: readyAt - t0,
      subscribeSentMs: subscribeAt - t0,
      subscribeToPokeEndMs: pokeEndAt - subscribeAt,
      pokeEndToReadyMs: readyAt - pokeEndAt,
    }
  } catch (err) {
    await client.close().catch(() => undefined)
    throw err
  }
}
