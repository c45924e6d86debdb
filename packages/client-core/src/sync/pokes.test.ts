// Poke buffering: parts are held until their pokeEnd; an interrupted poke is dropped.
import type { PokePart } from '@lumenize/protocol'
import { describe, expect, it } from 'vitest'
import { PokeAssembler } from './pokes'

const part = (pokeId: string, subId: string, n: number): PokePart => ({
  type: 'pokePart',
  pokeId,
  subId,
  puts: [],
  dels: [`d${n}`],
})

describe('PokeAssembler', () => {
  it('groups parts by subscription, in order, and hands the poke over at its end', () => {
    const a = new PokeAssembler()
    a.start({ type: 'pokeStart', pokeId: 'p1', baseCookie: 1, cookie: 4 })
    a.part(part('p1', 's1', 1))
    a.part(part('p1', 's2', 2))
    a.part(part('p1', 's1', 3))
    const poke = a.end({ type: 'pokeEnd', pokeId: 'p1', cookie: 4, lastMutationIdChanges: { c: 2 } })
    expect(poke?.parts.get('s1')?.map((p) => p.dels[0])).toEqual(['d1', 'd3'])
    expect(poke?.parts.get('s2')).toHaveLength(1)
    expect(poke).toMatchObject({ baseCookie: 1, cookie: 4, lastMutationIdChanges: { c: 2 } })
  })

  it('drops a poke cut short by a reset or a new start, and stray parts and ends', () => {
    const a = new PokeAssembler()
    a.start({ type: 'pokeStart', pokeId: 'p1', baseCookie: 1, cookie: 2 })
    a.part(part('p1', 's1', 1))
    a.reset()
    expect(a.part(part('p1', 's1', 2))).toBe(false)
    expect(a.end({ type: 'pokeEnd', pokeId: 'p1', cookie: 2, lastMutationIdChanges: {} })).toBeUndefined()
    a.start({ type: 'pokeStart', pokeId: 'p2', baseCookie: 1, cookie: 3 })
    a.start({ type: 'pokeStart', pokeId: 'p3', baseCookie: 1, cookie: 3 })
    expect(a.end({ type: 'pokeEnd', pokeId: 'p2', cookie: 3, lastMutationIdChanges: {} })).toBeUndefined()
  })
})
