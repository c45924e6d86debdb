// What the bench page (page.ts, bundled with esbuild and run in Chromium) exposes as `window.bench`,
// and what it returns. Times are performance.now() differences in the page, in ms.

export interface ShapeArgs {
  /** The server's origin; a closed port for a cold start with no network. */
  url: string
  star: string
  /** Names the IndexedDB database (one per star and group). */
  clientGroupId: string
  params: Record<string, unknown>
  /** Rows the shape must hold. */
  expected: number
  timeoutMs: number
  /** coldStart: also wait this long for the resume poke (a reachable server). */
  resumeWaitMs?: number
}

export interface FillResult {
  /** createClient → collection ready with `expected` rows (socket, seed, TanStack DB). */
  readyMs: number
  /** subscribe frame sent → seed pokeEnd delivered to the client. */
  subscribeToPokeEndMs: number
  /** seed pokeEnd delivered → collection ready. */
  pokeEndToReadyMs: number
  /** collection ready → client.close() done (it waits for the IndexedDB writes of the seed). */
  closeMs: number
  persistence: string
}

export interface ColdStartResult {
  /** createClient → collection ready with its rows, read from IndexedDB. */
  readyMs: number
  size: number
  /** When the client asked the transport to connect (after the cache was shown), from createClient. */
  connectCalledMs: number | undefined
  /** What the collection showed when the transport was asked to connect. */
  atConnect: { ready: boolean; size: number } | undefined
  /** With a reachable server: createClient → the resume poke applied (status.lastSyncedAt set). */
  resumedMs: number | undefined
  persistence: string
}

export interface OptimisticArgs {
  url: string
  star: string
  clientGroupId: string
  writes: number
  warmup: number
  timeoutMs: number
}

export interface OptimisticResult {
  /** insert() called → the live query (createLiveQueryCollection, where + select) emitted the row. */
  visibleLiveQuery: number[]
  /** insert() called → the shape collection's own change subscription emitted the row. */
  visibleCollection: number[]
  /** Duration of the insert() call itself. */
  insertCall: number[]
  /** insert() called → tx.isPersisted resolved (the server's pokeEnd confirming it). */
  confirmed: number[]
  /** Writes already in the live query when insert() returned (synchronous visibility). */
  visibleSynchronously: number
  /** Deletes (or re-inserts) of measured rows in the live query: a flicker between optimistic and confirmed. */
  flickers: number
  /** Confirmed rows whose version (server-assigned) was not ≥ 1 in the live query right after confirmation. */
  unconfirmedAfterPersist: number
  persistence: string
}

export interface TabArgs {
  url: string
  star: string
  transport: 'sharedworker' | 'leader' | 'socket'
  params: Record<string, unknown>
  expected: number
  timeoutMs: number
}

export interface TabResult {
  /** createClient → the shape's collection ready with `expected` rows. */
  readyMs: number
  size: number
  transport: string
}

export interface BenchPage {
  /** Opens a client of this tab (kept) on a shape, through a hub or its own socket. */
  openTab(args: TabArgs): Promise<TabResult>
  /** In this tab's client: inserts `count` Docs one after the other, `gapMs` apart, stamped with the wall clock. */
  writeStamped(args: { count: number; gapMs: number; kind: string }): Promise<number>
  /** In this tab's client: starts collecting, per row of `kind`, the time from its stamp to a live query here emitting it. */
  watchStamped(args: { kind: string }): Promise<void>
  /** The delays collected by `watchStamped`, in ms. */
  stampedDelays(): Promise<number[]>
  /** Closes this tab's client. */
  closeTab(): Promise<void>
  fill(args: ShapeArgs): Promise<FillResult>
  coldStart(args: ShapeArgs): Promise<ColdStartResult>
  /** Opens a client on the shape from IndexedDB and keeps it (for a heap measure); returns its size. */
  hold(args: ShapeArgs): Promise<{ readyMs: number; size: number }>
  /** Closes the held client and drops every reference to it. */
  release(): Promise<void>
  optimistic(args: OptimisticArgs): Promise<OptimisticResult>
}

declare global {
  interface Window {
    bench?: BenchPage
  }
}
