// A shape the hub holds for its tabs: subscribed to the server once, whatever the number of tabs
// using it, its rows kept in memory (and in the cache), each tab seeded from them without a round
// trip to the server, released a while after the last tab lets it go.
import type { DownMessage, EntitySnapshot, PokePart } from '@lumenize/protocol'
import { ShapeCache } from '../cache/shape-cache'
import type { ClientStore } from '../cache/store'
import type { LumenizeClientError } from '../errors'
import type { SessionShape } from '../sync/session'

/** One tab's link, as a shape knows it: where to send, and under which subscription ids. */
export interface ShapeTab {
  send(messages: readonly DownMessage[]): void
}

let hubSubCounter = 0

export class HubShape implements SessionShape {
  readonly subId = `h${++hubSubCounter}`
  readonly cache: ShapeCache
  /** The tabs that use it, each with its own subscription ids for it. */
  readonly tabs = new Map<ShapeTab, Set<string>>()
  /** `waiting`: nothing cached and nothing from the server yet; `empty`: shown empty while offline. */
  phase: 'hydrating' | 'waiting' | 'empty' | 'ready' = 'hydrating'
  releaseTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly key: string,
    readonly name: string,
    readonly params: Record<string, unknown>,
    private readonly writer: () => boolean,
    rowsPerChunk?: number,
  ) {
    this.cache = new ShapeCache(key, name, params, rowsPerChunk)
  }

  cookie(): number | undefined {
    return this.cache.cookie
  }

  /** Reads the cache: rows and a cookie make it ready. */
  async hydrate(store: ClientStore): Promise<void> {
    const found = await this.cache.load(store)
    this.phase = found && this.cache.cookie !== undefined ? 'ready' : 'waiting'
    if (this.phase === 'ready')
      for (const [tab, subIds] of this.tabs) for (const s of subIds) this.seed(tab, s)
  }

  /** A tab subscribes: it is seeded at once when the rows are here, else with the server's seed. */
  add(tab: ShapeTab, subId: string, cookie: number | undefined): void {
    const subIds = this.tabs.get(tab) ?? new Set<string>()
    this.tabs.set(tab, subIds)
    subIds.add(subId)
    if (this.releaseTimer !== undefined) clearTimeout(this.releaseTimer)
    this.releaseTimer = undefined
    if (this.phase === 'ready' || this.phase === 'empty') this.seed(tab, subId, cookie)
  }

  /** A tab's subscription goes; true when no tab uses the shape any more. */
  remove(tab: ShapeTab, subId?: string): boolean {
    const subIds = this.tabs.get(tab)
    if (subIds && subId !== undefined) subIds.delete(subId)
    if (!subIds || subId === undefined || subIds.size === 0) this.tabs.delete(tab)
    return this.tabs.size === 0
  }

  /**
   * Nothing cached and the server out of reach: the tabs are shown the shape empty (so that apps
   * render and write); the server's seed replaces it when it comes.
   */
  showEmpty(): void {
    if (this.phase !== 'waiting') return
    this.phase = 'empty'
    for (const [tab, subIds] of this.tabs) for (const s of subIds) this.seed(tab, s)
  }

  applyParts(parts: readonly PokePart[]): void {
    for (const part of parts) {
      if (part.truncate) this.cache.clear()
      for (const row of part.puts) this.cache.put(row as EntitySnapshot)
      for (const id of part.dels) this.cache.delete(id)
    }
    this.phase = 'ready'
  }

  committed(cookie: number, store: ClientStore | undefined): Promise<void> {
    this.cache.setCookie(cookie)
    return store ? this.cache.save(store, this.writer()) : Promise.resolve()
  }

  /** The server refused the subscription: every tab's subscription gets the error. */
  failed(error: LumenizeClientError): void {
    for (const [tab, subIds] of this.tabs) {
      for (const subId of subIds) {
        tab.send([
          {
            type: 'error',
            kind: error.kind,
            message: error.message,
            details: { ...error.details, subId },
          } as DownMessage,
        ])
      }
    }
  }

  /** This hub became the cache writer: the stored copy is rewritten from its rows. */
  takeOverCache(store: ClientStore): Promise<void> {
    if (this.phase !== 'ready') return Promise.resolve()
    this.cache.markAllDirty()
    return this.cache.save(store, true)
  }

  /** One tab's subscription, from what the hub holds: every row (or none, when the tab is current). */
  private seed(tab: ShapeTab, subId: string, tabCookie?: number): void {
    const cookie = this.cache.cookie ?? 0
    const pokeId = `seed-${this.subId}-${subId}-${cookie}`
    const current = tabCookie !== undefined && tabCookie === this.cache.cookie
    const part: DownMessage = current
      ? { type: 'pokePart', pokeId, subId, puts: [], dels: [] }
      : { type: 'pokePart', pokeId, subId, truncate: true, puts: [...this.cache.rows.values()], dels: [] }
    tab.send([
      { type: 'pokeStart', pokeId, baseCookie: current ? cookie : 0, cookie },
      part,
      { type: 'pokeEnd', pokeId, cookie, lastMutationIdChanges: {} },
    ])
  }
}
