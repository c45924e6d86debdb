// sql-cost (diagnostic, not in the default run): what single SQL statements of the write path and
// of an as-of query cost on workerd's SQLite, in a bench-only Durable Object with the Star's schema
// (bench/fixtures/sql-cost). Each figure is (t(request running it n times) − t(request running it
// 0 times)) / n, median over rounds: workerd freezes the clock inside a request.
import { fileURLToPath } from 'node:url'
import { cpuMs } from '../lib/proc'
import { type Metric, metric } from '../lib/results'
import { round, summarize } from '../lib/stats'
import { printTable } from '../lib/table'
import { now } from '../lib/util'
import type { Workload } from '../lib/workload'

const ENTRY = fileURLToPath(new URL('../../fixtures/sql-cost/worker.ts', import.meta.url))
const N = 2000
const ROUNDS = 5
const HISTORY_ENTITIES = 10_000
/** A push frame's mutations, and a throughput round's frames. */
const FRAME = 250
const FRAMES = 80

export const sqlCost: Workload = {
  name: 'sql-cost',
  description:
    'Diagnostic: per-statement cost of the write path and of an as-of query on workerd SQLite (bench fixture DO).',
  budgetMs: 180_000,
  async run(ctx) {
    const server = await ctx.startServer({ entry: ENTRY })
    const post = async (path: string, body: Record<string, unknown>, retry = body.op !== 'fillHistory') => {
      const t = now()
      try {
        const res = await fetch(`${server.origin}${path}`, {
          method: 'POST',
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(120_000),
        })
        const json = (await res.json()) as { out: unknown }
        return { ms: now() - t, out: json.out }
      } catch (err) {
        // A kept-alive connection that workerd closed after a long request: retry once (read-only ops).
        if (!retry) throw err
        return post(path, body, false)
      }
    }
    const perOp = async (path: string, op: string, extra: Record<string, unknown> = {}, n = N) => {
      const xs: number[] = []
      for (let r = 0; r < ROUNDS + 1; r++) {
        const base = await post(path, { op: 'noop', n: 0 })
        const run = await post(path, { op, n, ...extra })
        if (r > 0) xs.push(((run.ms - base.ms) / n) * 1000)
      }
      return xs
    }
    const metrics: Record<string, Metric> = {}
    const rows: Array<[string, number | string]> = []
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['insertOpLog', '/w', { txEach: true }],
      ['insertSnapshot', '/w', { txEach: true }],
      ['updateValidTo', '/w', { txEach: true }],
      ['selectLatest', '/w', {}],
      ['insertSnapshotBare', '/w', { txEach: true }],
      ['insertSnapshot (one transaction)', '/w2', {}],
      // A pushed upsert of a new entity (SELECT latest, INSERT op_log, INSERT snapshots), all in the
      // request's one transaction as a push frame's mutations are: increasing ids, then random UUIDs.
      ['mutation (one transaction, increasing ids)', '/m1', {}],
      ['mutation (one transaction, random UUIDs)', '/m2', { randomIds: true }],
    ]
    for (const [label, path, extra] of cases) {
      const op = label.split(' ')[0]!
      const xs = await perOp(path, op, extra)
      metrics[`us_${label.replace(/[^A-Za-z]+/g, '_')}`] = metric('µs', `${label}: one statement`, xs)
      rows.push([label, round(summarize(xs).median)])
    }
    // A throughput round's writes: 20,000 new-entity upserts in 80 transactions of 250 (push frames),
    // increasing ids vs random UUIDs; server CPU (/proc) and wall time per mutation.
    for (const [label, randomIds] of [
      ['frames of 250, increasing ids', false],
      ['frames of 250, random UUIDs', true],
    ] as const) {
      const path = `/f${randomIds ? 'r' : 's'}`
      await post(path, { op: 'noop', n: 0 })
      const pid = server.runtimePid
      const c0 = pid === undefined ? undefined : cpuMs(pid)
      const t0 = now()
      for (let i = 0; i < FRAMES; i++) await post(path, { op: 'mutation', n: FRAME, randomIds })
      const wallUs = ((now() - t0) / (FRAMES * FRAME)) * 1000
      const c1 = pid === undefined ? undefined : cpuMs(pid)
      const cpuUs = c0 === undefined || c1 === undefined ? Number.NaN : ((c1 - c0) / (FRAMES * FRAME)) * 1000
      const key = label.replace(/[^A-Za-z0-9]+/g, '_')
      metrics[`us_mutation_${key}_cpu`] = metric(
        'µs',
        `mutation, ${FRAMES} requests of ${FRAME} (${label}): workerd CPU per mutation`,
        cpuUs,
      )
      metrics[`us_mutation_${key}_wall`] = metric(
        'µs',
        `mutation, ${FRAMES} requests of ${FRAME} (${label}): wall time per mutation`,
        wallUs,
      )
      rows.push([`mutation, ${label}: server CPU / wall`, `${round(cpuUs)} / ${round(wallUs)}`])
    }
    // As-of query: 10,000 Tasks × 100 versions (the temporal figure's size), the Store's SQL vs others.
    const tf = now()
    await post('/q', { op: 'fillHistory', n: 0, entities: HISTORY_ENTITIES, versions: 100 })
    ctx.log(`filled ${HISTORY_ENTITIES * 100} snapshots in ${round(now() - tf)} ms`)
    const explain = (await post('/q', { op: 'explain', n: 0, asOf: 1500 })).out
    const snapshots = (HISTORY_ENTITIES * 100).toLocaleString('en-US')
    for (const op of ['queryAsOf', 'queryAsOfStoreByCurrent', 'queryAsOfViaCurrent', 'queryAsOfOld']) {
      const xs = (await perOp('/q', op, { asOf: 1500 }, 3)).map((x) => x / 1000)
      metrics[`ms_${op}`] = metric('ms', `${op} over ${snapshots} snapshots, 1,000 rows`, xs)
      rows.push([`${op} (ms, 1,000 rows of ${snapshots} snapshots)`, round(summarize(xs).median)])
    }
    printTable('sql-cost (µs per statement unless noted; median)', ['statement', 'cost'], rows)
    ctx.log(`query plans: ${JSON.stringify(explain)}`)
    return {
      parameters: {
        n: N,
        rounds: ROUNDS,
        fixture: 'bench/fixtures/sql-cost',
        historyEntities: HISTORY_ENTITIES,
        historyVersions: 100,
        queries: {
          queryAsOf:
            "the Store's SQL today (current rows joined to each one's version at asOf, ORDER BY s.id)",
          queryAsOfStoreByCurrent:
            'the same, ORDER BY c.id (the walk of snapshots_current_type is in that order)',
          queryAsOfViaCurrent:
            'current rows INDEXED BY snapshots_current_type, joined on valid_from <= asOf < valid_to',
          queryAsOfOld: "the Store's SQL before (every snapshot of the type valid at asOf, sorted by id)",
        },
        schema: 'packages/server/src/storage/schema.ts (migrate) + the Doc.kind expression indexes',
      },
      metrics,
      profile: { queryPlans: explain },
    }
  },
}
