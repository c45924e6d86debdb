// throughput: one writer pushes many small mutations as fast as the protocol allows (batched push
// frames, a bounded window of unconfirmed frames); time until every subscriber has the last one.
import { randomUUID } from 'node:crypto'
import { closeAll, openMany, SyncClient } from '../lib/client'
import { uuidv7 } from '../lib/data'
import { type CpuSpan, cpuMeter } from '../lib/profile'
import { metric, type WorkloadResult } from '../lib/results'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import { now, withTimeout } from '../lib/util'
import type { Workload } from '../lib/workload'

const MUTATIONS = 20_000
const PER_FRAME = 250
/** Frames sent but not yet confirmed by a pokeEnd, at most. */
const WINDOW_FRAMES = 8
const SUBSCRIBERS = 10
const ROUNDS = 3
const WARMUP_MUTATIONS = 2_000
/** BENCH_IDS=v7: the writer chooses time-ordered ids (UUIDv7 layout) instead of random UUIDv4s. */
const ID_KIND = process.env.BENCH_IDS === 'v7' ? 'v7' : 'v4'
const newId = ID_KIND === 'v7' ? uuidv7 : randomUUID

interface Round {
  ms: number
  rate: number
  confirmMs: number
  span: CpuSpan
  frameBytes: number
  pokesPerSubscriber: number
}

async function runRound(origin: string, n: number, track: (...c: SyncClient[]) => void): Promise<Round> {
  const star = `bench.throughput.r${randomUUID().slice(0, 8)}`
  const writer = await SyncClient.open({ origin, star })
  const subs = await openMany(SUBSCRIBERS, SUBSCRIBERS, async () => {
    const c = await SyncClient.open({ origin, star, keepRows: true })
    await c.subscribe('q', 'entities', { type: 'Doc', where: { kind: 'tp' } })
    return c
  })
  track(writer, ...subs)
  const ids = Array.from({ length: n }, () => newId())
  const lastId = ids[n - 1]!
  const applied = subs.map((c) => c.whenApplied(lastId))
  const frameEnds: number[] = []
  let frameBytes = 0
  const meter = cpuMeter({ runtimePid: undefined } as never)
  const t0 = now()
  for (let start = 0, f = 0; start < n; start += PER_FRAME, f++) {
    if (f >= WINDOW_FRAMES)
      await withTimeout(writer.whenConfirmed(frameEnds[f - WINDOW_FRAMES]!), 30_000, 'window')
    const muts = []
    for (let i = start; i < Math.min(n, start + PER_FRAME); i++) {
      muts.push({ name: 'upsert', args: { id: ids[i]!, type: 'Doc', value: { kind: 'tp', n: i } } })
    }
    const before = writer.ws.bufferedAmount
    frameEnds.push(writer.push(muts))
    frameBytes = Math.max(frameBytes, writer.ws.bufferedAmount - before)
  }
  const confirmAt = await withTimeout(writer.whenConfirmed(n), 120_000, 'last confirmation')
  const times = await withTimeout(Promise.all(applied), 120_000, 'last mutation applied everywhere')
  const end = Math.max(...times)
  const span = meter()
  for (const c of subs) {
    const rows = c.rows('q').size
    if (rows !== n) throw new Error(`a subscriber holds ${rows} rows, expected ${n}`)
  }
  const errors = writer.errors.length + subs.reduce((a, c) => a + c.errors.length, 0)
  if (errors)
    throw new Error(
      `${errors} error frames, first: ${JSON.stringify(writer.errors[0] ?? subs.find((c) => c.errors.length)?.errors[0])}`,
    )
  const pokes = subs.reduce((a, c) => a + c.pokesApplied, 0) / subs.length - 1
  await closeAll([writer, ...subs])
  return {
    ms: end - t0,
    rate: (n / (end - t0)) * 1000,
    confirmMs: confirmAt - t0,
    span,
    frameBytes,
    pokesPerSubscriber: pokes,
  }
}

export const throughput: Workload = {
  name: 'throughput',
  description: `One writer pushes ${MUTATIONS.toLocaleString('en-US')} small upserts in batched push frames; ${SUBSCRIBERS} subscribers; time until all have the last.`,
  budgetMs: 150_000,
  async run(ctx) {
    const server = await ctx.startServer()
    const track = (...c: SyncClient[]) => ctx.track(...c)
    await runRound(server.origin, WARMUP_MUTATIONS, track)
    const rounds: Round[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const meter = cpuMeter(server)
      const round1 = await (r === 0
        ? ctx.profiled('round', () => runRound(server.origin, MUTATIONS, track))
        : runRound(server.origin, MUTATIONS, track))
      round1.span = meter()
      rounds.push(round1)
      await ctx.closeTracked()
    }
    const rates = rounds.map((r) => r.rate)
    printTable(
      `throughput (${MUTATIONS} mutations, ${PER_FRAME}/frame, window ${WINDOW_FRAMES} frames, ${SUBSCRIBERS} subscribers)`,
      [
        'round',
        'mutations/s',
        'all applied ms',
        'writer confirmed ms',
        'server CPU ms',
        'client CPU ms',
        'pokes/sub',
      ],
      rounds.map((r, i) => [
        i + 1,
        Math.round(r.rate),
        round(r.ms),
        round(r.confirmMs),
        r.span.serverCpuMs ?? '?',
        r.span.clientCpuMs,
        round(r.pokesPerSubscriber),
      ]),
    )
    const s = summarize(rates)
    const result: WorkloadResult = {
      parameters: {
        mutations: MUTATIONS,
        mutationsPerFrame: PER_FRAME,
        windowFrames: WINDOW_FRAMES,
        subscribers: SUBSCRIBERS,
        rounds: ROUNDS,
        warmupMutations: WARMUP_MUTATIONS,
        ids:
          ID_KIND === 'v7'
            ? 'time-ordered (UUIDv7 layout), BENCH_IDS=v7'
            : 'random UUIDv4 (crypto.randomUUID)',
        maxFrameBytes: Math.max(...rounds.map((r) => r.frameBytes)),
      },
      metrics: {
        mutationsPerSecond: metric(
          'mutations/s',
          'mutations / (first push sent -> last mutation applied by every subscriber)',
          rates,
          { stat: 'median', op: '>=', value: 5000 },
        ),
        allAppliedMs: metric(
          'ms',
          'first push sent -> last mutation applied by every subscriber',
          rounds.map((r) => r.ms),
        ),
        writerConfirmedMs: metric(
          'ms',
          "first push sent -> writer's pokeEnd confirming the last mutation",
          rounds.map((r) => r.confirmMs),
        ),
      },
      profile: {
        perRound: rounds.map((r) => ({ ...r.span, pokesPerSubscriber: round(r.pokesPerSubscriber) })),
        serverCpuUsPerMutation:
          rounds[0]?.span.serverCpuMs === undefined
            ? undefined
            : round((summarize(rounds.map((r) => r.span.serverCpuMs ?? 0)).median / MUTATIONS) * 1000),
      },
      notes: [`median of ${ROUNDS} rounds: ${Math.round(s.median)} mutations/s`],
    }
    return result
  },
}
