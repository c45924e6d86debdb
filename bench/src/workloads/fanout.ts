// fanout: N sockets subscribed to one shape; one write; time until every socket has applied it.
// 1,000 sockets (target p50 ≤ 50 ms) and 10,000 (target p50 ≤ 500 ms).
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { closeAll, openMany, SyncClient } from '../lib/client'
import { openFds } from '../lib/proc'
import { type CpuSpan, cpuMeter, perUnit } from '../lib/profile'
import { type Metric, metric, type WorkloadResult } from '../lib/results'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import { now, sleep, withTimeout } from '../lib/util'
import type { Workload, WorkloadContext } from '../lib/workload'

interface Level {
  sockets: number
  rounds: number
  warmup: number
  targetMs: number
}

const LEVELS: Level[] = [
  { sockets: 1_000, rounds: 20, warmup: 3, targetMs: 50 },
  { sockets: 10_000, rounds: 10, warmup: 1, targetMs: 500 },
]
const SHAPE = { type: 'Doc', where: { kind: 'fanout' } }
/** File descriptors this process may open (the hard limit here is 20,000; it cannot be raised). */
const FD_HEADROOM = 200

function fdLimit(): number {
  // Node has no getrlimit: read it from /proc/self/limits.
  try {
    const text = readFileSync('/proc/self/limits', 'utf8')
    const m = /Max open files\s+(\d+)/.exec(text)
    return m ? Number(m[1]) : 1024
  } catch {
    return 1024
  }
}

interface LevelResult {
  sockets: number
  connectMs: number
  last: number[]
  first: number[]
  span: CpuSpan
  bytesPerSocket: number
}

async function runLevel(
  ctx: WorkloadContext,
  origin: string,
  server: Parameters<typeof cpuMeter>[0],
  level: Level,
): Promise<LevelResult> {
  const star = `bench.fanout.n${level.sockets}x${randomUUID().slice(0, 6)}`
  const writer = await SyncClient.open({ origin, star })
  ctx.track(writer)
  const tc = now()
  const subs = await ctx.profiled(`connect${level.sockets}`, () =>
    openMany(level.sockets, 100, async () => {
      const c = await SyncClient.open({ origin, star, timeoutMs: 60_000 })
      ctx.track(c)
      await c.subscribe('q', 'entities', SHAPE)
      return c
    }),
  )
  const connectMs = now() - tc
  ctx.log(`${level.sockets} sockets connected and subscribed in ${round(connectMs)} ms`)
  await sleep(200)
  const last: number[] = []
  const first: number[] = []
  let meter = cpuMeter(server)
  let bytes0 = 0
  await ctx.profiled(`rounds${level.sockets}`, async () => {
    for (let k = 0; k < level.warmup + level.rounds; k++) {
      if (k === level.warmup) {
        meter = cpuMeter(server)
        bytes0 = subs.reduce((a, c) => a + c.bytesReceived, 0)
      }
      const id = randomUUID()
      const applied = subs.map((c) => c.whenApplied(id))
      const t0 = now()
      writer.push([{ name: 'upsert', args: { id, type: 'Doc', value: { kind: 'fanout', n: k } } }])
      const times = await withTimeout(Promise.all(applied), 30_000, `fan-out write ${k} to ${level.sockets}`)
      if (k >= level.warmup) {
        let max = 0
        let min = Number.POSITIVE_INFINITY
        for (const t of times) {
          if (t > max) max = t
          if (t < min) min = t
        }
        last.push(max - t0)
        first.push(min - t0)
      }
      await sleep(50)
    }
  })
  const span = meter()
  const bytesPerSocket = (subs.reduce((a, c) => a + c.bytesReceived, 0) - bytes0) / subs.length / level.rounds
  await closeAll([writer, ...subs])
  await ctx.closeTracked()
  return { sockets: level.sockets, connectMs, last, first, span: perUnit(span, level.rounds), bytesPerSocket }
}

export const fanout: Workload = {
  name: 'fanout',
  description:
    'One write to a shape with N subscribed sockets (1,000 and 10,000); time until every socket applied it.',
  budgetMs: 240_000,
  async run(ctx) {
    const server = await ctx.startServer()
    const limit = fdLimit()
    const metrics: Record<string, Metric> = {}
    const scaledDown: string[] = []
    const results: LevelResult[] = []
    for (const wanted of LEVELS) {
      const level = { ...wanted }
      // Each socket costs one fd here and one in workerd (a separate process with its own limit).
      const max = Math.floor(limit - FD_HEADROOM - (openFds(process.pid) ?? 50))
      if (level.sockets > max) {
        scaledDown.push(
          `fanout ${wanted.sockets} sockets: the file-descriptor limit (${limit}) allows ${max}; measured ${max}`,
        )
        level.sockets = max
      }
      results.push(await runLevel(ctx, server.origin, server, level))
      const r = results[results.length - 1]!
      const key = `fanout${wanted.sockets}`
      metrics[`${key}_lastApplied`] = metric(
        'ms',
        `write pushed -> last of ${r.sockets} sockets applied`,
        r.last,
        { stat: 'median', op: '<=', value: wanted.targetMs },
        r.sockets !== wanted.sockets ? `measured with ${r.sockets} sockets` : undefined,
      )
      metrics[`${key}_firstApplied`] = metric(
        'ms',
        `write pushed -> first of ${r.sockets} sockets applied`,
        r.first,
      )
      metrics[`${key}_connectAndSubscribe`] = metric(
        'ms',
        `open, connect and subscribe ${r.sockets} sockets (100 in flight)`,
        r.connectMs,
      )
    }
    printTable(
      'fanout (ms; one write per round)',
      [
        'sockets',
        'first p50',
        'last p50',
        'last p95',
        'last max',
        'server CPU/round',
        'client CPU/round',
        'bytes/socket',
      ],
      results.map((r) => {
        const l = summarize(r.last)
        return [
          r.sockets,
          round(summarize(r.first).median),
          round(l.median),
          round(l.p95),
          round(l.max),
          r.span.serverCpuMs ?? '?',
          r.span.clientCpuMs,
          Math.round(r.bytesPerSocket),
        ]
      }),
    )
    return {
      parameters: {
        levels: results.map((r, i) => ({
          sockets: r.sockets,
          rounds: LEVELS[i]!.rounds,
          warmup: LEVELS[i]!.warmup,
        })),
        shape: { name: 'entities', params: SHAPE },
        fdLimit: limit,
        pauseBetweenRoundsMs: 50,
      },
      metrics,
      ...(scaledDown.length ? { scaledDown } : {}),
      profile: Object.fromEntries(
        results.map((r) => [
          `sockets${r.sockets}`,
          { perRound: r.span, pokeBytesPerSocket: Math.round(r.bytesPerSocket) },
        ]),
      ),
      notes: [
        'All sockets are in one Node process: "last applied" includes Node parsing every socket\'s poke frame (pokeStart, pokePart and pokeEnd bundled in one frame) on one thread; client CPU/round is that cost.',
      ],
    } satisfies WorkloadResult
  },
}
