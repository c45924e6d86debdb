// Buffers the parts of a poke until its pokeEnd: a poke is applied whole or not at all.
import type { PokeEnd, PokePart, PokeStart } from '@lumenize/protocol'

/** A complete poke: its parts grouped by subscription, in arrival order. */
export interface Poke {
  pokeId: string
  baseCookie: number
  cookie: number
  parts: Map<string, PokePart[]>
  lastMutationIdChanges: Record<string, number>
}

export class PokeAssembler {
  private current: { start: PokeStart; parts: Map<string, PokePart[]> } | undefined

  start(msg: PokeStart): void {
    // A new start drops a poke whose end never came (its socket died): it was never applied.
    this.current = { start: msg, parts: new Map() }
  }

  /** Returns false for a part of no open poke (ignored). */
  part(msg: PokePart): boolean {
    if (this.current?.start.pokeId !== msg.pokeId) return false
    const list = this.current.parts.get(msg.subId)
    if (list) list.push(msg)
    else this.current.parts.set(msg.subId, [msg])
    return true
  }

  /** The complete poke, or undefined when `end` closes no open poke. */
  end(msg: PokeEnd): Poke | undefined {
    const c = this.current
    this.current = undefined
    if (c?.start.pokeId !== msg.pokeId) return undefined
    return {
      pokeId: msg.pokeId,
      baseCookie: c.start.baseCookie,
      cookie: msg.cookie,
      parts: c.parts,
      lastMutationIdChanges: msg.lastMutationIdChanges ?? {},
    }
  }

  /** The connection dropped: a half-received poke is discarded. */
  reset(): void {
    this.current = undefined
  }
}
