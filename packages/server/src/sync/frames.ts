// Poke frames, serialized once per shape and reused for every socket (fan-out is string concat).
// Parts stay well under the 512 KiB that hibernated sockets handle reliably.
import type { EntitySnapshot } from '@lumenize/protocol'

/** The largest frame `pack` builds from several messages. */
export const BUNDLE_LIMIT = 400 * 1024

/**
 * Packs consecutive messages into as few frames as fit under BUNDLE_LIMIT: one `ws.send` per
 * small poke instead of three. A frame of several messages is a JSON array of them.
 */
export function pack(messages: readonly string[]): string[] {
  const out: string[] = []
  let group: string[] = []
  let size = 0
  const flush = (): void => {
    if (group.length === 1) out.push(group[0]!)
    else if (group.length > 1) out.push(`[${group.join(',')}]`)
    group = []
    size = 0
  }
  for (const m of messages) {
    if (size + m.length + 1 > BUNDLE_LIMIT) flush()
    group.push(m)
    size += m.length + 1
  }
  flush()
  return out
}

/** Target size of one part's rows, in bytes of JSON. A single row is at most 256 KiB. */
export const PART_BUDGET = 192 * 1024

/** Rows of one part, pre-serialized. */
export interface Chunk {
  puts: string
  dels: string
}

/** Splits puts (snapshots, or their JSON) and dels into chunks of bounded JSON size. */
export function chunk(puts: Iterable<EntitySnapshot | string>, dels: readonly string[] = []): Chunk[] {
  const out: Chunk[] = []
  let rows: string[] = []
  let size = 0
  for (const put of puts) {
    const json = typeof put === 'string' ? put : JSON.stringify(put)
    if (size + json.length > PART_BUDGET && rows.length > 0) {
      out.push({ puts: `[${rows.join(',')}]`, dels: '[]' })
      rows = []
      size = 0
    }
    rows.push(json)
    size += json.length + 1
  }
  let delRows: string[] = []
  for (const id of dels) {
    if (size + id.length + 3 > PART_BUDGET) {
      out.push({ puts: `[${rows.join(',')}]`, dels: JSON.stringify(delRows) })
      rows = []
      delRows = []
      size = 0
    }
    delRows.push(id)
    size += id.length + 3
  }
  if (rows.length > 0 || delRows.length > 0 || out.length === 0) {
    out.push({ puts: `[${rows.join(',')}]`, dels: JSON.stringify(delRows) })
  }
  return out
}

export const pokeStart = (pokeId: string, baseCookie: number, cookie: number): string =>
  `{"type":"pokeStart","pokeId":${JSON.stringify(pokeId)},"baseCookie":${baseCookie},"cookie":${cookie}}`

export const pokePart = (pokeId: string, subId: string, c: Chunk, truncate: boolean): string =>
  `{"type":"pokePart","pokeId":${JSON.stringify(pokeId)},"subId":${JSON.stringify(subId)}${
    truncate ? ',"truncate":true' : ''
  },"puts":${c.puts},"dels":${c.dels}}`

export const pokeEnd = (pokeId: string, cookie: number, lmids: Record<string, number>): string =>
  `{"type":"pokeEnd","pokeId":${JSON.stringify(pokeId)},"cookie":${cookie},"lastMutationIdChanges":${JSON.stringify(lmids)}}`
