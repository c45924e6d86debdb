// poke-scale: the cost of one write's poke as the subscribed shape grows (1,000 vs 100,000
// entities) and as distinct subscriptions grow (1 vs 1,000 (shape, params) pairs). The cost should
// follow the change, not the shape.
//
// Method: two stars on one server, A (the small case) and B (the large case), each with one
// writer and one measured subscriber. Writes alternate A, B, A, B… (so background load on this
// shared machine hits both alike); each write upserts an existing entity of the shape and waits
// until the measured subscriber applied its poke. Median over many writes; ratio = B / A.
import { randomUUID } from 'node:crypto'
import { SyncClient } from '../lib/client'
import { benchId, loadDocs } from '../lib/data'
import { cpuMeter } from '../lib/profile'
import { headline, type Metric, metric, type WorkloadResult } from '../lib/results'
import { RpcClient } from '../lib/rpc'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import { now, withTimeout } from '../lib/util'
import type { Workload, WorkloadContext } from '../lib/workload'

const SMALL = 1_000
const LARGE = 100_000
const DISTINCT = 1_000
const WRITES = 300
const WARMUP = 30

interface Side {
  label: string
  writer: SyncClient
  sub: SyncClient
  /** Entity ids the writes cycle over (all in the measured subscription). */
  ids: string[]
  value: (k: number) => Record<string, unknown>
  latencies: number[]
  confirms: number[]
}

async function oneWrite(side: Side, k: number, record: boolean): Promise<void> {
  const id = side.ids[k % side.ids.length]!
  const applied = side.sub.whenApplied(id)
  const t0 = now()
  const mid = side.writer.push([{ name: 'upsert', args: { id, type: 'Doc', value: side.value(k) } }])
  const [at, confirmedAt] = await withTimeout(
    Promise.all([applied, side.writer.whenConfirmed(mid)]),
    10_000,
    `${side.label} write ${k}`,
  )
  if (record) {
    side.latencies.push(at - t0)
    side.confirms.push(confirmedAt - t0)
  }
}

/** Interleaved writes on two sides; then a CPU burst per side. */
async function compare(a: Side, b: Side, server: Parameters<typeof cpuMeter>[0]) {
  for (let k = 0; k < WARMUP + WRITES; k++) {
    await oneWrite(a, k, k >= WARMUP)
    await oneWrite(b, k, k >= WARMUP)
  }
  const cpu: Record<string, number | undefined> = {}
  for (const side of [a, b]) {
    const meter = cpuMeter(server)
    for (let k = 0; k < 100; k++) await oneWrite(side, WARMUP + WRITES + k, false)
    const s = meter().serverCpuMs
    cpu[side.label] = s === undefined ? undefined : round(s / 100)
  }
  return cpu
}

async function side(
  ctx: WorkloadContext,
  origin: string,
  label: string,
  star: string,
  params: Record<string, unknown>,
  ids: string[],
  value: (k: number) => Record<string, unknown>,
): Promise<Side> {
  const writer = await SyncClient.open({ origin, star })
  const sub = await SyncClient.open({ origin, star, timeoutMs: 120_000 })
  ctx.track(writer, sub)
  await sub.subscribe('q', 'entities', params)
  return { label, writer, sub, ids, value, latencies: [], confirms: [] }
}

export const pokeScale: Workload = {
  name: 'poke-scale',
  description:
    'Per-write poke cost: shape of 1,000 vs 100,000 entities, and 1 vs 1,000 distinct subscriptions.',
  budgetMs: 180_000,
  async run(ctx) {
    const server = await ctx.startServer()
    const run = randomUUID().slice(0, 6)
    const metrics: Record<string, Metric> = {}
    const profile: Record<string, unknown> = {}

    // 1. Shape size: 1,000 vs 100,000 entities in the subscribed shape.
    const starA = `bench.pokescale.small${run}`
    const starB = `bench.pokescale.large${run}`
    const psValue = (i: number) => ({ kind: 'ps', n: i, text: `entity ${i}` })
    await loadDocs(new RpcClient(server.origin, starA), SMALL, (i) => ({
      id: benchId(2, i),
      value: psValue(i),
    }))
    const loadB = await loadDocs(new RpcClient(server.origin, starB), LARGE, (i) => ({
      id: benchId(3, i),
      value: psValue(i),
    }))
    ctx.log(`loaded ${LARGE} entities in ${round(loadB.ms)} ms`)
    const shape = { type: 'Doc', where: { kind: 'ps' } }
    const writeIds = (ns: number) => Array.from({ length: 50 }, (_, i) => benchId(ns, i * 7))
    const value = (k: number) => ({ kind: 'ps', n: k, text: `rewritten ${k}` })
    const a = await side(ctx, server.origin, `shape${SMALL}`, starA, shape, writeIds(2), value)
    const b = await side(ctx, server.origin, `shape${LARGE}`, starB, shape, writeIds(3), value)
    if (b.sub.rows('q').size !== LARGE) throw new Error(`large shape seeded ${b.sub.rows('q').size} rows`)
    const cpuSize = await ctx.profiled('shapeSize', () => compare(a, b, server))
    const ma = summarize(a.latencies).median
    const mb = summarize(b.latencies).median

    // 2. Distinct subscriptions: 1 vs 1,000 (shape, params) pairs on the star.
    const starC = `bench.pokescale.one${run}`
    const starD = `bench.pokescale.many${run}`
    const gValue = (i: number) => ({ kind: 'pg', g: i % DISTINCT, n: i })
    for (const [star, ns] of [
      [starC, 4],
      [starD, 5],
    ] as const) {
      await loadDocs(new RpcClient(server.origin, star), 2 * DISTINCT, (i) => ({
        id: benchId(ns, i),
        value: gValue(i),
      }))
    }
    const group0 = (ns: number) => [benchId(ns, 0), benchId(ns, DISTINCT)]
    const gWrite = (k: number) => ({ kind: 'pg', g: 0, n: k })
    const c = await side(
      ctx,
      server.origin,
      'subs1',
      starC,
      { type: 'Doc', where: { kind: 'pg', g: 0 } },
      group0(4),
      gWrite,
    )
    const d = await side(
      ctx,
      server.origin,
      `subs${DISTINCT}`,
      starD,
      { type: 'Doc', where: { kind: 'pg', g: 0 } },
      group0(5),
      gWrite,
    )
    // The other 999 distinct subscriptions, on one bystander socket (they see none of the writes).
    const bystander = await SyncClient.open({ origin: server.origin, star: starD })
    ctx.track(bystander)
    const t0 = now()
    for (let g = 1; g < DISTINCT; g += 50) {
      const batch = []
      for (let h = g; h < Math.min(DISTINCT, g + 50); h++) {
        batch.push(bystander.subscribe(`g${h}`, 'entities', { type: 'Doc', where: { kind: 'pg', g: h } }))
      }
      await Promise.all(batch)
    }
    ctx.log(`${DISTINCT - 1} more distinct subscriptions in ${round(now() - t0)} ms`)
    const cpuSubs = await ctx.profiled('distinctSubscriptions', () => compare(c, d, server))
    const mc = summarize(c.latencies).median
    const md = summarize(d.latencies).median
    const bystanderPokes = bystander.pokesApplied - (DISTINCT - 1)

    for (const s of [a, b, c, d]) {
      metrics[`writeToPoke_${s.label}`] = metric(
        'ms',
        `push sent -> subscriber applied the poke (${s.label})`,
        s.latencies,
      )
      metrics[`writerConfirmed_${s.label}`] = metric(
        'ms',
        `push sent -> writer confirmed (${s.label})`,
        s.confirms,
      )
    }
    metrics.shapeSizeRatio = metric(
      'x',
      `median write-to-poke with ${LARGE.toLocaleString('en-US')} entities in the shape / with ${SMALL.toLocaleString('en-US')}`,
      mb / ma,
      { stat: 'value', op: '<=', value: 1.5 },
    )
    metrics.distinctSubscriptionsRatio = headline(
      metric(
        'x',
        `median write-to-poke with ${DISTINCT.toLocaleString('en-US')} distinct subscriptions on the star / with 1`,
        md / mc,
      ),
    )
    profile.serverCpuMsPerWrite = { ...cpuSize, ...cpuSubs }
    profile.bystanderPokes = bystanderPokes
    printTable(
      `poke-scale (ms, median over ${WRITES} interleaved writes after ${WARMUP} warm-up)`,
      ['case', 'write->poke p50', 'p95', 'writer confirm p50', 'server CPU/write'],
      [a, b, c, d].map((s) => {
        const l = summarize(s.latencies)
        const cpu: Record<string, number | undefined> = { ...cpuSize, ...cpuSubs }
        return [s.label, round(l.median), round(l.p95), round(summarize(s.confirms).median), cpu[s.label]]
      }),
    )
    console.log(`  ratios: shape size ${round(mb / ma)}x, distinct subscriptions ${round(md / mc)}x`)
    return {
      parameters: {
        shapeSizes: [SMALL, LARGE],
        distinctSubscriptions: [1, DISTINCT],
        writes: WRITES,
        warmup: WARMUP,
        cpuBurstWrites: 100,
        method:
          'interleaved A/B single upserts of existing entities in the measured subscription; latency from push sent to the subscriber applying the poke',
      },
      metrics,
      profile,
    } satisfies WorkloadResult
  },
}
