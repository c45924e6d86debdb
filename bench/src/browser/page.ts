// The bench page: bundled with esbuild (src/lib/browser.ts) and run in Chromium by playwright. It
// uses @lumenize/client-core exactly as an app does (IndexedDB persistence, the default partysocket
// transport, TanStack DB live queries) and times in the page with performance.now().
import { createClient, type EntityCollection, type LumenizeClient } from '@lumenize/client-core'
import { createLiveQueryCollection, eq } from '@tanstack/db'
import type {
  BenchPage,
  ColdStartResult,
  FillResult,
  OptimisticArgs,
  OptimisticResult,
  ShapeArgs,
  TabArgs,
  TabResult,
} from './api'
import { probeTransport } from './probe'

const now = (): number => performance.now()

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

type Docs = EntityCollection

/** Resolves when the collection is ready and holds `expected` rows; returns when it became ready. */
async function untilReady(docs: Docs, expected: number, timeoutMs: number): Promise<number> {
  let readyAt = 0
  docs.onFirstReady(() => {
    readyAt = now()
  })
  await withTimeout(docs.preload(), timeoutMs, 'collection ready')
  if (docs.size < expected) {
    await withTimeout(
      new Promise<void>((resolve) => {
        const sub = docs.subscribeChanges(() => {
          if (docs.size >= expected) {
            sub.unsubscribe()
            readyAt = now()
            resolve()
          }
        })
      }),
      timeoutMs,
      `${expected} rows`,
    )
  }
  return readyAt
}

let held: { client: LumenizeClient; docs: Docs } | undefined
let tab: { client: LumenizeClient; docs: Docs } | undefined
const delays: number[] = []
/** The wall clock with sub-ms precision, comparable between tabs of one browser. */
const wall = (): number => performance.timeOrigin + performance.now()

type TabMethods = 'openTab' | 'writeStamped' | 'watchStamped' | 'stampedDelays' | 'closeTab'

const bench: Omit<BenchPage, TabMethods> = {
  async fill(a: ShapeArgs): Promise<FillResult> {
    const probe = probeTransport({ url: a.url, star: a.star })
    const t0 = now()
    const client = createClient({
      url: a.url,
      star: a.star,
      persistence: 'indexeddb',
      clientGroupId: a.clientGroupId,
      transport: probe.transport,
    })
    try {
      const docs = client.shape('entities', a.params)
      const readyAt = await untilReady(docs, a.expected, a.timeoutMs)
      if (docs.size !== a.expected)
        throw new Error(`the collection holds ${docs.size} rows, not ${a.expected}`)
      const t1 = now()
      await withTimeout(client.close(), a.timeoutMs, 'client.close')
      const { subscribeAt, pokeEndAt } = probe.marks
      return {
        readyMs: readyAt - t0,
        subscribeToPokeEndMs: (pokeEndAt ?? Number.NaN) - (subscribeAt ?? Number.NaN),
        pokeEndToReadyMs: readyAt - (pokeEndAt ?? Number.NaN),
        closeMs: now() - t1,
        persistence: client.status.getSnapshot().persistence,
      }
    } finally {
      await client.close().catch(() => undefined)
    }
  },

  async coldStart(a: ShapeArgs): Promise<ColdStartResult> {
    const probe = probeTransport({ url: a.url, star: a.star })
    let atConnect: ColdStartResult['atConnect']
    const t0 = now()
    const client = createClient({
      url: a.url,
      star: a.star,
      persistence: 'indexeddb',
      clientGroupId: a.clientGroupId,
      transport: probe.transport,
    })
    try {
      const docs = client.shape('entities', a.params)
      probe.onConnect(() => {
        atConnect = { ready: docs.isReady(), size: docs.size }
      })
      const readyAt = await untilReady(docs, a.expected, a.timeoutMs)
      const size = docs.size
      let resumedMs: number | undefined
      if (a.resumeWaitMs) {
        // With a reachable server: when the resume poke (the diff since the stored cookie) is applied.
        const synced = new Promise<number>((resolve) => {
          const stop = client.status.subscribe(() => {
            if (client.status.getSnapshot().state === 'synced') {
              stop()
              resolve(now() - t0)
            }
          })
        })
        resumedMs = await Promise.race([
          synced,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), a.resumeWaitMs)),
        ])
      }
      return {
        readyMs: readyAt - t0,
        size,
        connectCalledMs: probe.marks.connectAt === undefined ? undefined : probe.marks.connectAt - t0,
        atConnect,
        resumedMs,
        persistence: client.status.getSnapshot().persistence,
      }
    } finally {
      await withTimeout(client.close(), a.timeoutMs, 'client.close').catch(() => undefined)
    }
  },

  async hold(a: ShapeArgs) {
    const t0 = now()
    const client = createClient({
      url: a.url,
      star: a.star,
      persistence: 'indexeddb',
      clientGroupId: a.clientGroupId,
      // One tab measured on its own socket (the hub modes are the multitab workload's).
      transport: 'socket',
    })
    const docs = client.shape('entities', a.params)
    held = { client, docs }
    const readyAt = await untilReady(docs, a.expected, a.timeoutMs)
    // Then let it resume (connect, the resume poke), as an open app would be, before a heap measure.
    await withTimeout(
      new Promise<void>((resolve) => {
        if (client.status.getSnapshot().state === 'synced') return resolve()
        const stop = client.status.subscribe(() => {
          if (client.status.getSnapshot().state === 'synced') {
            stop()
            resolve()
          }
        })
      }),
      a.timeoutMs,
      'resume poke',
    ).catch(() => undefined)
    return { readyMs: readyAt - t0, size: docs.size }
  },

  async release() {
    const h = held
    held = undefined
    if (!h) return
    await withTimeout(h.client.close(), 30_000, 'client.close').catch(() => undefined)
    h.docs.utils.release()
  },

  async optimistic(a: OptimisticArgs): Promise<OptimisticResult> {
    const client = createClient({
      url: a.url,
      star: a.star,
      persistence: 'indexeddb',
      clientGroupId: a.clientGroupId,
      // One tab measured on its own socket (the hub modes are the multitab workload's).
      transport: 'socket',
    })
    try {
      const docs = client.shape<{ kind: string; n: number }>('entities', {
        type: 'Doc',
        where: { kind: 'opt' },
      })
      await withTimeout(docs.preload(), a.timeoutMs, 'shape ready')
      await withTimeout(
        new Promise<void>((resolve) => {
          const check = (): boolean => client.status.getSnapshot().state === 'synced'
          if (check()) return resolve()
          const stop = client.status.subscribe(() => {
            if (check()) {
              stop()
              resolve()
            }
          })
        }),
        a.timeoutMs,
        'online',
      )
      const live = createLiveQueryCollection((q) =>
        q
          .from({ d: docs })
          .where(({ d }) => eq(d.value.kind, 'opt'))
          .select(({ d }) => ({ id: d.id, n: d.value.n, version: d.version })),
      )
      await withTimeout(live.preload(), a.timeoutMs, 'live query ready')
      const seenLive = new Map<string, (t: number) => void>()
      const seenBase = new Map<string, (t: number) => void>()
      const measured = new Set<string>()
      let flickers = 0
      const subLive = live.subscribeChanges((changes) => {
        const t = now()
        for (const c of changes) {
          const key = String(c.key)
          if (c.type === 'insert') {
            const w = seenLive.get(key)
            if (w) {
              seenLive.delete(key)
              w(t)
            } else if (measured.has(key)) flickers++
          } else if (c.type === 'delete' && measured.has(key)) flickers++
        }
      })
      const subBase = docs.subscribeChanges((changes) => {
        const t = now()
        for (const c of changes) {
          if (c.type !== 'insert') continue
          const w = seenBase.get(String(c.key))
          if (w) {
            seenBase.delete(String(c.key))
            w(t)
          }
        }
      })
      const out: OptimisticResult = {
        visibleLiveQuery: [],
        visibleCollection: [],
        insertCall: [],
        confirmed: [],
        visibleSynchronously: 0,
        flickers: 0,
        unconfirmedAfterPersist: 0,
        persistence: client.status.getSnapshot().persistence,
      }
      try {
        for (let k = 0; k < a.warmup + a.writes; k++) {
          const id = crypto.randomUUID()
          const inLive = new Promise<number>((r) => seenLive.set(id, r))
          const inBase = new Promise<number>((r) => seenBase.set(id, r))
          measured.add(id)
          const t0 = now()
          const tx = docs.insert({ id, type: 'Doc', value: { kind: 'opt', n: k } })
          const t1 = now()
          const sync = live.has(id)
          const [tl, tb] = await withTimeout(Promise.all([inLive, inBase]), a.timeoutMs, `write ${k} visible`)
          await withTimeout(tx.isPersisted.promise, a.timeoutMs, `write ${k} confirmed`)
          const tc = now()
          const row = live.get(id) as { version?: number } | undefined
          if (k < a.warmup) continue
          out.insertCall.push(t1 - t0)
          out.visibleLiveQuery.push(tl - t0)
          out.visibleCollection.push(tb - t0)
          out.confirmed.push(tc - t0)
          if (sync) out.visibleSynchronously++
          if (!row || (row.version ?? 0) < 1) out.unconfirmedAfterPersist++
        }
      } finally {
        subLive.unsubscribe()
        subBase.unsubscribe()
      }
      out.flickers = flickers
      return out
    } finally {
      await withTimeout(client.close(), 30_000, 'client.close').catch(() => undefined)
    }
  },
}

/** Tabs of one app, for the multitab workload: each page one client, through a hub or its own socket. */
const tabs: Pick<BenchPage, TabMethods> = {
  async openTab(a: TabArgs): Promise<TabResult> {
    const t0 = now()
    const client = createClient({
      url: a.url,
      star: a.star,
      persistence: 'indexeddb',
      transport: a.transport,
      sharedWorker: (name) => new SharedWorker('/worker.js', { type: 'module', name }),
    })
    const docs = client.shape('entities', a.params)
    tab = { client, docs }
    const readyAt = await untilReady(docs, a.expected, a.timeoutMs)
    return { readyMs: readyAt - t0, size: docs.size, transport: a.transport }
  },
  async writeStamped(a: { count: number; gapMs: number; kind: string }): Promise<number> {
    const t = tab
    if (!t) throw new Error('openTab first')
    for (let n = 0; n < a.count; n++) {
      t.docs.insert({ type: 'Doc', value: { kind: a.kind, n, at: wall() } })
      await new Promise((r) => setTimeout(r, a.gapMs))
    }
    return a.count
  },
  async watchStamped(a: { kind: string }): Promise<void> {
    const t = tab
    if (!t) throw new Error('openTab first')
    const live = createLiveQueryCollection((q) =>
      q
        .from({ d: t.docs })
        .where(({ d }) => eq(d.value.kind, a.kind))
        .select(({ d }) => ({ id: d.id, at: d.value.at })),
    )
    await live.preload()
    live.subscribeChanges((changes) => {
      const arrived = wall()
      for (const c of changes) {
        const at = (c.value as { at?: unknown }).at
        if (c.type === 'insert' && typeof at === 'number') delays.push(arrived - at)
      }
    })
  },
  async stampedDelays(): Promise<number[]> {
    return [...delays]
  },
  async closeTab(): Promise<void> {
    await tab?.client.close()
    tab = undefined
  },
}

window.bench = { ...bench, ...tabs }
