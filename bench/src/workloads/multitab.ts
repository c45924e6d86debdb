// multitab: ten tabs of one app in Chromium (pages of one browser context) behind one SharedWorker
// hub, against the real server. Measured: how many sockets the server holds for them (target 1);
// a write in tab A until a live query in tab B shows it (target p99 ≤ 16 ms: within one frame); and a
// tab opening a 10,000-row shape the worker already holds, until its collection is ready with every
// row (target ≤ 100 ms: from the worker's memory, no round trip to the server).
import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright'
import { call } from '../lib/browser'
import { benchId, loadDocs } from '../lib/data'
import { type Metric, metric, type WorkloadResult } from '../lib/results'
import { RpcClient } from '../lib/rpc'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import type { Workload } from '../lib/workload'

const TABS = 10
const WRITES = 300
const GAP_MS = 25
const BIG = 10_000
const OPENS = 5

export const multitab: Workload = {
  name: 'multitab',
  description:
    'Ten tabs behind one SharedWorker hub in Chromium: server sockets, a write seen by another tab, a held shape opened by a new tab.',
  budgetMs: 240_000,
  async run(ctx) {
    const server = await ctx.startServer()
    const browser = await ctx.openBrowser()
    const star = `bench.multitab.s${randomUUID().slice(0, 8)}`
    const rpc = new RpcClient(server.origin, star)
    const load = await loadDocs(rpc, BIG, (i) => ({ id: benchId(7, i), value: { kind: 'big', n: i } }))
    ctx.log(`loaded ${BIG} rows in ${Math.round(load.ms)} ms`)

    const open = (page: Page, params: Record<string, unknown>, expected: number) =>
      call(
        page,
        'openTab',
        { url: server.origin, star, transport: 'sharedworker', params, expected, timeoutMs: 60_000 },
        90_000,
      )

    // Ten tabs on a small shape: one server socket between them.
    const pages: Page[] = []
    for (let t = 0; t < TABS; t++) {
      const page = await browser.newPage()
      pages.push(page)
      await open(page, { type: 'Doc', where: { kind: 'mt' } }, 0)
    }
    await new Promise((r) => setTimeout(r, 500))
    const sockets = (await rpc.call<{ sockets: number }>('star.health')).sockets

    // Tab A writes, tab B's live query shows each write: the delay from A's insert() to B's change.
    const [a, b] = pages as [Page, Page]
    await call(b, 'watchStamped', { kind: 'mt' }, 30_000)
    await call(a, 'writeStamped', { count: WRITES, gapMs: GAP_MS, kind: 'mt' }, 120_000)
    await new Promise((r) => setTimeout(r, 500))
    const delays = (await call(b, 'stampedDelays', undefined as never, 30_000)).slice(20)

    // A tab holds the 10,000-row shape (the worker seeds it from the server); new tabs open it.
    const holder = pages[2] as Page
    const held = await open(holder, { type: 'Doc', where: { kind: 'big' } }, BIG)
    const opens: number[] = []
    for (let k = 0; k < OPENS; k++) {
      const page = await browser.newPage()
      const r = await open(page, { type: 'Doc', where: { kind: 'big' } }, BIG)
      if (r.size !== BIG) throw new Error(`a new tab got ${r.size} rows, expected ${BIG}`)
      opens.push(r.readyMs)
      await call(page, 'closeTab', undefined as never, 30_000)
      await page.close()
    }
    for (const p of pages) await call(p, 'closeTab', undefined as never, 30_000).catch(() => undefined)

    const row = (label: string, xs: number[]) => {
      const s = summarize(xs)
      return [label, round(s.median), round(s.p95), round(s.p99), round(s.max)]
    }
    printTable(
      `multitab (Chromium, ${TABS} tabs, one SharedWorker hub; ms)`,
      ['measure', 'p50', 'p95', 'p99', 'max'],
      [
        row('write in tab A -> live query in tab B', delays),
        row(`new tab ready with ${BIG} held rows`, opens),
      ],
    )
    ctx.log(
      `server sockets for ${TABS} tabs: ${sockets}; first tab of the big shape ready in ${round(held.readyMs)} ms (from the server)`,
    )
    const metrics: Record<string, Metric> = {
      multitabSockets: metric('sockets', `server sockets held for ${TABS} tabs of one app`, sockets, {
        stat: 'value',
        op: '<=',
        value: 1,
      }),
      optimisticSecondTab: metric(
        'ms',
        "Chromium: collection.insert() in tab A -> a live query (where + select) in tab B emitted the row (through the worker, before the server's confirmation)",
        delays,
        { stat: 'p99', op: '<=', value: 16 },
      ),
      sharedShapeReady: metric(
        'ms',
        `Chromium: a new tab's createClient -> its collection ready with the ${BIG} rows the worker already holds`,
        opens,
        { stat: 'median', op: '<=', value: 100 },
      ),
    }
    return {
      parameters: {
        tabs: TABS,
        writes: WRITES,
        gapMs: GAP_MS,
        heldRows: BIG,
        opens: OPENS,
        transport: 'sharedworker',
      },
      metrics,
      profile: { firstBigTabReadyMs: round(held.readyMs), loadMs: round(load.ms) },
      notes: [
        'Pages of one browser context: one origin, so one IndexedDB, one SharedWorker per star and build, as tabs of one profile.',
        'Delays compare performance.timeOrigin + performance.now() of two pages of one browser (one clock); the first 20 writes are warm-up.',
      ],
    } satisfies WorkloadResult
  },
}
