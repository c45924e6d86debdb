// Poke fan-out: after commits, every subscriber gets the membership diff of the commits since the
// last poke, as one poke per socket, and every socket of a pushing client's group its confirmations.
// Commits are the only trigger; commits made before the flush runs coalesce into one poke.
import { META } from '../storage/meta'
import type { Store } from '../storage/store'
import { diffShapes } from './diff'
import { type Chunk, chunk, pokeEnd, pokePart, pokeStart } from './frames'
import { sendSerialized } from './send'
import type { Sessions } from './sessions'

export class PokeFanout {
  /** The op-log seq every subscriber has been poked up to (kept in storage, read once). */
  private pokedSeq: number
  private scheduled = false
  /** Watermarks advanced since the last poke, by client: sent in the next poke's pokeEnd. */
  private readonly lmidChanges = new Map<string, { gid: string; lmid: number }>()

  constructor(
    private readonly store: Store,
    private readonly sessions: Sessions,
    /** Runs after each flush that sent something (the op-log retention schedules its trim). */
    private readonly afterFlush: () => void,
  ) {
    this.pokedSeq = store.meta.getNumber(META.pokedSeq) ?? store.seq()
    store.onCommit(() => this.schedule())
    // A commit whose poke did not go out (the object was reset in between) is poked now.
    if (this.pokedSeq < store.seq()) this.schedule()
  }

  /** Confirms a client's mutations up to `lmid` in the next poke to its group. */
  confirm(clientId: string, gid: string, lmid: number): void {
    this.lmidChanges.set(clientId, { gid, lmid })
    this.schedule()
  }

  /**
   * Flushes once the current event's synchronous work is done (a microtask): a push, an RPC batch
   * or a socket frame's commits go out as one poke, before any other event is delivered, and the
   * pusher waits no timer hop for its confirmation.
   */
  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  /**
   * Sends every subscriber the diff of the commits since the last poke. Also the barrier for work
   * that needs all of them delivered first (a seed, so that every subscription of a socket is at one
   * cookie; a trim, which drops the op-log entries a diff reads).
   */
  flush(): void {
    this.scheduled = false
    const from = this.pokedSeq
    const to = this.store.seq()
    if (to === from && this.lmidChanges.size === 0) return
    const subscribed = this.sessions.subscribed()
    const shapes = [...subscribed.values()].map((e) => e.shape)
    const diffs = diffShapes(shapes, from, to, this.store.stateAt(), this.store.types)
    const parts = new Map<string, Array<{ subId: string; chunks: Chunk[] }>>()
    for (const [key, diff] of diffs) {
      const chunks = chunk(diff.puts, diff.dels)
      for (const [sid, subIds] of subscribed.get(key)?.subs ?? []) {
        const list = parts.get(sid) ?? []
        parts.set(sid, list)
        for (const subId of subIds) list.push({ subId, chunks })
      }
    }
    // Confirmations go to every socket of the pushing client's group, with or without rows.
    const lmidsBySocket = new Map<string, Record<string, number>>()
    for (const [cid, { gid, lmid }] of this.lmidChanges) {
      for (const sid of this.sessions.socketsOfGroup(gid)) {
        const m = lmidsBySocket.get(sid) ?? {}
        m[cid] = lmid
        lmidsBySocket.set(sid, m)
      }
    }
    const pokeId = `p${to}`
    const start = pokeStart(pokeId, from, to)
    const emptyEnd = pokeEnd(pokeId, to, {})
    for (const sid of new Set([...parts.keys(), ...lmidsBySocket.keys()])) {
      const ws = this.sessions.socket(sid)
      if (!ws) continue
      const frames = [start]
      for (const { subId, chunks } of parts.get(sid) ?? [])
        for (const c of chunks) frames.push(pokePart(pokeId, subId, c, false))
      const lmids = lmidsBySocket.get(sid)
      frames.push(lmids ? pokeEnd(pokeId, to, lmids) : emptyEnd)
      sendSerialized(ws, frames)
    }
    this.lmidChanges.clear()
    this.pokedSeq = to
    this.store.meta.set(META.pokedSeq, to)
    this.afterFlush()
  }
}
