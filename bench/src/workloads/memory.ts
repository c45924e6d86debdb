// memory: the workerd process's resident memory with 10,000 idle subscriptions (sockets that
// subscribed and then stayed idle), before and after the Star DO is evicted (hibernation: workerd
// evicts an idle DO after ~10 s; hibernatable sockets stay open); and the client's JS heap per
// 100,000 cached rows (a client-core collection holding the seed shape of `seed`):
//   - in Node: a child process with --expose-gc (src/child/client-heap.ts), heapUsed after full GCs
//     with and without the collection;
//   - in Chromium: the page's JS heap (CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage)
//     before the client and with the collection opened from IndexedDB and resumed.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { PROTOCOL_VERSION, unbundle } from '@lumenize/protocol'
import WebSocket from 'ws'
import { call, heapAfterGc } from '../lib/browser'
import { closeAll, openMany, SyncClient, syncUrl } from '../lib/client'
import { benchId, loadDocs } from '../lib/data'
import { openFds, rssBytes } from '../lib/proc'
import { BENCH_DIR, headline, type Metric, metric, type WorkloadResult } from '../lib/results'
import { RpcClient } from '../lib/rpc'
import { round } from '../lib/stats'
import { printTable } from '../lib/table'
import { now, sleep, withTimeout } from '../lib/util'
import type { Workload, WorkloadContext } from '../lib/workload'
import { loadSeedStar, SEED_ENTITIES, SEED_SHAPE } from './seed'

const SOCKETS = 10_000
const IDLE_MS = 12_000
const SHAPE = { type: 'Doc', where: { kind: 'mem' } }
const ROWS_IN_SHAPE = 10

const BREAKDOWN_SOCKETS = 2_000

/** Sends a frame on each socket and waits until each got a frame matching `done`. */
async function roundTrip(
  sockets: WebSocket[],
  frame: (i: number) => unknown,
  done: (msg: { type?: string }) => boolean,
) {
  for (let i = 0; i < sockets.length; i += 200) {
    await Promise.all(
      sockets.slice(i, i + 200).map(
        (ws, j) =>
          new Promise<void>((resolve) => {
            const on = (data: Buffer) => {
              // A frame holds one message or a bundle of them (a small poke is one frame).
              const msgs = unbundle(JSON.parse(data.toString())) as Array<{ type?: string }>
              if (!msgs.some(done)) return
              ws.off('message', on)
              resolve()
            }
            ws.on('message', on)
            ws.send(JSON.stringify(frame(i + j)))
          }),
      ),
    )
  }
}

/**
 * Where a socket's memory goes: RSS growth per socket after the upgrade alone, after `connect`, and
 * after `subscribe`, on a server of its own (RSS does not shrink after frees, so phases only add).
 */
async function breakdown(ctx: Parameters<Workload['run']>[0]) {
  const server = await ctx.startServer()
  const pid = server.runtimePid!
  const star = `bench.memory.b${randomUUID().slice(0, 8)}`
  const rpc = new RpcClient(server.origin, star)
  await loadDocs(rpc, ROWS_IN_SHAPE, (i) => ({ id: benchId(9, i), value: { kind: 'mem', n: i } }))
  await sleep(300)
  const r0 = rssBytes(pid)!
  const sockets: WebSocket[] = []
  try {
    for (let i = 0; i < BREAKDOWN_SOCKETS; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, BREAKDOWN_SOCKETS - i) }, async () => {
          const ws = new WebSocket(syncUrl(server.origin, star), { perMessageDeflate: false })
          sockets.push(ws)
          await withTimeout(
            new Promise<void>((resolve, reject) => {
              ws.once('open', () => resolve())
              ws.once('error', reject)
            }),
            30_000,
            'open',
          )
        }),
      )
    }
    await sleep(300)
    const r1 = rssBytes(pid)!
    await roundTrip(
      sockets,
      () => ({
        type: 'connect',
        protocolVersion: PROTOCOL_VERSION,
        clientGroupId: randomUUID(),
        clientId: randomUUID(),
      }),
      (m) => m.type === 'connected',
    )
    await sleep(300)
    const r2 = rssBytes(pid)!
    await roundTrip(
      sockets,
      () => ({ type: 'subscribe', subId: 'q', shape: 'entities', params: SHAPE }),
      (m) => m.type === 'pokeEnd',
    )
    await sleep(300)
    const r3 = rssBytes(pid)!
    const per = (a: number, b: number) => Math.round((b - a) / BREAKDOWN_SOCKETS)
    return {
      sockets: BREAKDOWN_SOCKETS,
      bytesPerSocketUpgrade: per(r0, r1),
      bytesPerSocketConnect: per(r1, r2),
      bytesPerSocketSubscribe: per(r2, r3),
      rssMiB: { before: mb(r0), upgraded: mb(r1), connected: mb(r2), subscribed: mb(r3) },
    }
  } finally {
    for (const ws of sockets) ws.terminate()
    await server.dispose()
  }
}

const mb = (b: number | undefined) => (b === undefined ? undefined : round(b / 2 ** 20))

const HEAP_CHILD = fileURLToPath(new URL('../child/client-heap.ts', import.meta.url))

interface HeapChildResult {
  before: NodeJS.MemoryUsage
  held: NodeJS.MemoryUsage
  rows: number
  readyMs: number
}

/** Runs src/child/client-heap.ts in a fresh `node --expose-gc`; killed (by its pid) after `timeoutMs`. */
function heapChild(origin: string, star: string, timeoutMs: number): Promise<HeapChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', HEAP_CHILD, origin, star, String(SEED_ENTITIES)],
      { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    // If the runner exits first (a workload over its budget), the child goes with it.
    const killOnExit = (): void => {
      child.kill('SIGKILL')
    }
    process.once('exit', killOnExit)
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`client-heap child: no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      process.off('exit', killOnExit)
      const line = out.trim().split('\n').pop() ?? ''
      if (code !== 0 || !line.startsWith('{'))
        return reject(new Error(`client-heap child exited with ${code}: ${err.trim().slice(-500)}`))
      resolve(JSON.parse(line) as HeapChildResult)
    })
  })
}

/** The client's JS heap with a collection of the 100,000-row seed shape, in Node and in Chromium. */
async function clientHeap(ctx: WorkloadContext) {
  const server = await ctx.startServer()
  const star = `bench.memory.c${randomUUID().slice(0, 8)}`
  const load = await loadSeedStar(server.origin, star)
  ctx.log(`client heap: loaded ${SEED_ENTITIES} rows in ${round(load.ms)} ms`)
  const node = await heapChild(server.origin, star, 120_000)
  const nodeBytes = node.held.heapUsed - node.before.heapUsed
  ctx.log(
    `client heap, Node: ${mb(node.before.heapUsed)} -> ${mb(node.held.heapUsed)} MiB heapUsed with ${node.rows} rows`,
  )
  const browser = await ctx.openBrowser()
  const args = {
    url: server.origin,
    star,
    clientGroupId: `bench-${randomUUID()}`,
    params: SEED_SHAPE,
    expected: SEED_ENTITIES,
    timeoutMs: 120_000,
  }
  const fillPage = await browser.newPage()
  await call(fillPage, 'fill', args, 180_000)
  await fillPage.close()
  const page = await browser.newPage()
  const base = await heapAfterGc(page)
  const held = await call(page, 'hold', args, 180_000)
  const withRows = await heapAfterGc(page)
  await call(page, 'release', undefined, 60_000)
  const released = await heapAfterGc(page)
  await page.close()
  await browser.close()
  await server.dispose()
  const chromiumBytes = withRows - base
  ctx.log(
    `client heap, Chromium: ${mb(base)} -> ${mb(withRows)} MiB with ${held.size} rows (${mb(released)} MiB after release)`,
  )
  return {
    nodeBytesPer100k: (nodeBytes * 100_000) / node.rows,
    chromiumBytesPer100k: (chromiumBytes * 100_000) / held.size,
    profile: {
      rows: SEED_ENTITIES,
      rowJsonBytesApprox: 346,
      node: {
        heapUsedMiB: { before: mb(node.before.heapUsed), held: mb(node.held.heapUsed) },
        externalMiB: { before: mb(node.before.external), held: mb(node.held.external) },
        rssMiB: { before: mb(node.before.rss), held: mb(node.held.rss) },
        readyMs: round(node.readyMs),
      },
      chromium: {
        jsHeapMiB: { beforeClient: mb(base), withRows: mb(withRows), afterRelease: mb(released) },
        coldStartReadyMs: round(held.readyMs),
      },
    },
  }
}

export const memory: Workload = {
  name: 'memory',
  description: `workerd resident memory with ${SOCKETS.toLocaleString('en-US')} idle subscriptions, before and after the Star DO is evicted; the client's JS heap per 100,000 cached rows.`,
  budgetMs: 300_000,
  async run(ctx) {
    const parts = await breakdown(ctx)
    ctx.log(
      `per socket (${parts.sockets} sockets): upgrade ${parts.bytesPerSocketUpgrade} B, connect ${parts.bytesPerSocketConnect} B, subscribe ${parts.bytesPerSocketSubscribe} B`,
    )
    const server = await ctx.startServer({ testHooks: true })
    const pid = server.runtimePid
    if (pid === undefined) throw new Error('the workerd runtime process was not found')
    const star = `bench.memory.m${randomUUID().slice(0, 8)}`
    const rpc = new RpcClient(server.origin, star)
    await loadDocs(rpc, ROWS_IN_SHAPE, (i) => ({ id: benchId(9, i), value: { kind: 'mem', n: i } }))
    const instance0 = (await rpc.call<{ instance: string }>('star.instance')).instance
    await sleep(500)
    const base = rssBytes(pid)!
    const t0 = now()
    const clients = await openMany(SOCKETS, 100, async () => {
      const c = await SyncClient.open({ origin: server.origin, star, timeoutMs: 60_000, keepRows: false })
      ctx.track(c)
      await c.subscribe('q', 'entities', SHAPE)
      return c
    })
    ctx.log(`${SOCKETS} sockets subscribed in ${round(now() - t0)} ms`)
    await sleep(500)
    const subscribed = rssBytes(pid)!
    const fds = openFds(pid)
    // Stay idle: no frame in either direction.
    const samples: Array<{ s: number; rssMiB: number | undefined }> = []
    const ti = now()
    while (now() - ti < IDLE_MS) {
      await sleep(2000)
      samples.push({ s: round((now() - ti) / 1000), rssMiB: mb(rssBytes(pid)) })
    }
    const idle = rssBytes(pid)!
    // Did the DO really get evicted? Its in-memory instance id changes when it is rebuilt.
    const instance1 = (await rpc.call<{ instance: string }>('star.instance')).instance
    const evicted = instance0 !== instance1
    const health = await rpc.call<{ sockets: number }>('star.health')
    await sleep(500)
    const woken = rssBytes(pid)!
    await closeAll(clients)
    await ctx.closeTracked()
    await sleep(1000)
    const closed = rssBytes(pid)!
    await server.dispose()
    const heap = await clientHeap(ctx)
    const perSubActive = (subscribed - base) / SOCKETS
    const perSubIdle = (idle - base) / SOCKETS
    printTable(
      `memory (workerd runtime RSS, MiB; ${SOCKETS} sockets with one subscription each)`,
      [
        'baseline',
        'subscribed',
        `idle ${IDLE_MS / 1000} s`,
        'woken',
        'closed',
        'evicted',
        'bytes/sub (active)',
        'bytes/sub (idle)',
      ],
      [
        [
          mb(base),
          mb(subscribed),
          mb(idle),
          mb(woken),
          mb(closed),
          evicted,
          Math.round(perSubActive),
          Math.round(perSubIdle),
        ],
      ],
    )
    const metrics: Record<string, Metric> = {
      bytesPerSubscriptionActive: metric(
        'bytes',
        'workerd RSS growth per subscribed socket, right after subscribing',
        perSubActive,
      ),
      bytesPerSubscriptionIdle: headline(
        metric(
          'bytes',
          `workerd RSS growth per subscribed socket after ${IDLE_MS / 1000} s idle`,
          perSubIdle,
        ),
      ),
      rssBaselineMiB: metric(
        'MiB',
        'workerd runtime RSS with the star loaded and no sockets',
        base / 2 ** 20,
      ),
      rssSubscribedMiB: metric(
        'MiB',
        `workerd runtime RSS with ${SOCKETS} subscribed sockets`,
        subscribed / 2 ** 20,
      ),
      rssIdleMiB: metric('MiB', `workerd runtime RSS after ${IDLE_MS / 1000} s idle`, idle / 2 ** 20),
      clientHeapPer100kRows: headline(
        metric(
          'MiB',
          'Chromium: JS heap of a client-core collection (IndexedDB persistence) holding 100,000 rows of the seed shape, after GC, minus the page before the client',
          heap.chromiumBytesPer100k / 2 ** 20,
        ),
      ),
      clientHeapPer100kRowsNode: metric(
        'MiB',
        'Node (--expose-gc): heapUsed of a client-core collection (persistence memory) holding 100,000 rows, after GC, minus before',
        heap.nodeBytesPer100k / 2 ** 20,
      ),
    }
    return {
      parameters: {
        sockets: SOCKETS,
        idleMs: IDLE_MS,
        rowsInShape: ROWS_IN_SHAPE,
        shape: { name: 'entities', params: SHAPE },
      },
      metrics,
      profile: {
        rssMiB: {
          baseline: mb(base),
          subscribed: mb(subscribed),
          idle: mb(idle),
          woken: mb(woken),
          closed: mb(closed),
        },
        idleSamples: samples,
        evictedWhileIdle: evicted,
        socketsAfterWake: health.sockets,
        workerdOpenFds: fds,
        breakdown: parts,
        clientHeap: heap.profile,
      },
      notes: [
        'RSS is the whole workerd runtime process (the Worker, the Star DO, its SQLite pages, every socket); bytes per subscription = (RSS with the sockets - RSS before) / sockets.',
        evicted
          ? 'The Star DO was evicted while idle (its instance id changed) with the sockets still open.'
          : 'The Star DO was NOT evicted while idle (same instance id before and after): the idle figure is with the DO in memory.',
      ],
    } satisfies WorkloadResult
  },
}
