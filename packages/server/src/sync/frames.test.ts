import { type EntitySnapshot, unbundle } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { BUNDLE_LIMIT, chunk, PART_BUDGET, pack, pokePart } from './frames'

const row = (i: number, size: number): EntitySnapshot => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  type: 'Doc',
  value: { text: 'x'.repeat(size) },
  version: 1,
  validFrom: 1,
  validTo: 8_640_000_000_000_000,
  deleted: false,
  clientId: null,
  mutationId: null,
})

describe('poke part chunks', () => {
  it('split many rows into parts that each stay under the budget and keep every row in order', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(i, 500))
    const dels = Array.from({ length: 5000 }, (_, i) => `del-${i}`)
    const chunks = chunk(rows, dels)
    expect(chunks.length).toBeGreaterThan(5)
    for (const c of chunks) {
      const frame = pokePart('p1', 'sub', c, false)
      expect(frame.length).toBeLessThan(PART_BUDGET + 1024)
      expect(JSON.parse(frame).type).toBe('pokePart')
    }
    const puts = chunks.flatMap((c) => JSON.parse(c.puts) as EntitySnapshot[])
    expect(puts.map((p) => p.id)).toEqual(rows.map((r) => r.id))
    expect(chunks.flatMap((c) => JSON.parse(c.dels) as string[])).toEqual(dels)
  })

  it('keeps a single oversized row whole, in a part of its own', () => {
    const chunks = chunk([row(1, 10), row(2, PART_BUDGET + 10), row(3, 10)])
    expect(chunks.map((c) => (JSON.parse(c.puts) as unknown[]).length)).toEqual([1, 1, 1])
  })

  it('gives one empty part for an empty diff, so a seed can still say truncate', () => {
    expect(chunk([])).toEqual([{ puts: '[]', dels: '[]' }])
    expect(JSON.parse(pokePart('p', 's', chunk([])[0]!, true))).toMatchObject({
      truncate: true,
      puts: [],
      dels: [],
    })
  })
})

describe('pack', () => {
  it('bundles a small poke into one frame that unbundles to the same messages, in order', () => {
    const messages = ['{"type":"pokeStart"}', '{"type":"pokePart"}', '{"type":"pokeEnd"}']
    const frames = pack(messages)
    expect(frames).toHaveLength(1)
    expect(unbundle(JSON.parse(frames[0]!))).toEqual(messages.map((m) => JSON.parse(m)))
  })

  it('splits large messages over frames of at most BUNDLE_LIMIT, keeping order', () => {
    const big = (i: number) => JSON.stringify({ type: 'pokePart', i, pad: 'x'.repeat(150_000) })
    const messages = [big(0), big(1), big(2), big(3), big(4)]
    const frames = pack(messages)
    expect(frames.length).toBeGreaterThan(1)
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(BUNDLE_LIMIT + 2)
    const back = frames.flatMap((f) => unbundle(JSON.parse(f))) as Array<{ i: number }>
    expect(back.map((m) => m.i)).toEqual([0, 1, 2, 3, 4])
  })

  it('leaves a JSON-RPC batch answer whole', () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, result: 1 },
      { jsonrpc: '2.0', id: 2, result: 2 },
    ]
    expect(unbundle(batch)).toEqual([batch])
  })
})
