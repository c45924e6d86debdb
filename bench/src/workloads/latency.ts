// latency: one writer and S subscribers of the same shape; single-entity writes one at a time
// (pushes of the built-in `upsert` mutator with a client-chosen id), each waiting until every
// subscriber has applied the poke that carries it.
import { randomUUID } from 'node:crypto'
import { closeAll, openMany, SyncClient } from '../lib/client'
import { cpuMeter, perUnit } from '../lib/profile'
import { type Metric, metric, type WorkloadResult } from '../lib/results'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import { now, withTimeout } from '../lib/util'
import type { Workload } from '../lib/workload'

const SUBSCRIBERS = [0, 10, 100]
const WRITES = 500
const WARMUP = 50
const SHAPE = { type: 'Doc', where: { kind: 'bench' } }

export const latency: Workload = {
  name: 'latency',
  description:
    'Write-to-last-subscriber-applied latency: 1 writer pushes single upserts one at a time; S subscribers of one shape.',
  budgetMs: 120_000,
  async run(ctx) {
    const server = await ctx.startServer()
    const metrics: Record<string, Metric> = {}
    const profile: Record<string, unknown> = {}
    const rows: Array<Array<string | number>> = []
    for (const s of SUBSCRIBERS) {
      const star = `bench.latency.s${s}x${randomUUID().slice(0, 6)}`
      const writer = await SyncClient.open({ origin: server.origin, star })
      ctx.track(writer)
      const subs = await openMany(s, 50, async () => {
        const c = await SyncClient.open({ origin: server.origin, star })
        ctx.track(c)
        await c.subscribe('q', 'entities', SHAPE)
        return c
      })
      const last: number[] = []
      const first: number[] = []
      const confirm: number[] = []
      let meter = cpuMeter(server)
      let bytes = 0
      const measure = async () => {
        for (let k = 0; k < WARMUP + WRITES; k++) {
          if (k === WARMUP) {
            meter = cpuMeter(server)
            bytes = subs.reduce((a, c) => a + c.bytesReceived, 0)
          }
          const id = randomUUID()
          const applied = subs.map((c) => c.whenApplied(id))
          const t0 = now()
          const mid = writer.push([
            { name: 'upsert', args: { id, type: 'Doc', value: { kind: 'bench', n: k } } },
          ])
          const [times, confirmedAt] = await withTimeout(
            Promise.all([Promise.all(applied), writer.whenConfirmed(mid)]),
            10_000,
            `write ${k} with ${s} subscribers`,
          )
          if (k < WARMUP) continue
          confirm.push(confirmedAt - t0)
          if (s > 0) {
            last.push(Math.max(...times) - t0)
            first.push(Math.min(...times) - t0)
          }
        }
      }
      await (s === 100 ? ctx.profiled('S100', measure) : measure())
      const span = meter()
      const pokeBytes = subs.length
        ? (subs.reduce((a, c) => a + c.bytesReceived, 0) - bytes) / subs.length / WRITES
        : 0
      profile[`S${s}`] = {
        perWrite: perUnit(span, WRITES),
        pokeBytesPerSubscriberPerWrite: round(pokeBytes),
      }
      const target100 = s === 100
      metrics[`writerConfirmed_S${s}`] = metric(
        'ms',
        `push sent -> writer's pokeEnd confirming it (lastMutationIdChanges), ${s} subscribers`,
        confirm,
      )
      if (s > 0) {
        metrics[`writeToFirstApplied_S${s}`] = metric(
          'ms',
          `push sent -> first of ${s} subscribers applied`,
          first,
        )
        metrics[`writeToLastApplied_S${s}`] = metric(
          'ms',
          `push sent -> last of ${s} subscribers applied (pokeEnd received and applied)`,
          last,
          target100 ? { stat: 'median', op: '<=', value: 3 } : undefined,
        )
        if (target100) {
          metrics[`writeToLastApplied_S${s}_p99`] = metric(
            'ms',
            `p99 of push sent -> last of ${s} subscribers applied`,
            last,
            { stat: 'p99', op: '<=', value: 15 },
          )
        }
      }
      const sl = summarize(last)
      const sc = summarize(confirm)
      rows.push([
        s,
        round(sc.median),
        s ? round(sl.median) : '-',
        s ? round(sl.p95) : '-',
        s ? round(sl.p99) : '-',
        s ? round(sl.max) : '-',
        span.serverCpuMs === undefined ? '?' : round(span.serverCpuMs / WRITES),
        round(span.clientCpuMs / WRITES),
      ])
      await closeAll([writer, ...subs])
      await ctx.closeTracked()
    }
    printTable(
      'latency (ms; one write at a time, 500 writes after 50 warm-up)',
      [
        'subscribers',
        'confirm p50',
        'last p50',
        'last p95',
        'last p99',
        'last max',
        'server CPU/write',
        'client CPU/write',
      ],
      rows,
    )
    const result: WorkloadResult = {
      parameters: {
        subscribers: SUBSCRIBERS,
        writes: WRITES,
        warmup: WARMUP,
        shape: { name: 'entities', params: SHAPE },
      },
      metrics,
      profile,
      notes: [
        'S = 0 is the no-subscriber baseline: the writer still gets a poke (its pokeEnd confirms the mutation).',
        'All sockets live in one Node process: "last applied" includes the Node event loop parsing every subscriber\'s frames in turn.',
      ],
    }
    return result
  },
}
