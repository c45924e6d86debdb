// `pnpm bench [workload...]`: runs the benchmarks against the real server on workerd, prints a
// table per workload and a summary, and writes bench/results/<workload>.json.
import { type BenchBrowser, openBrowser } from './lib/browser'
import { closeAll, type SyncClient } from './lib/client'
import { PROFILING, Profiler, type ProfileSummary, saveProfile, summarizeProfile } from './lib/cpuprofile'
import {
  machine,
  type NotMeasured,
  type ResultFile,
  type Target,
  versions,
  type WorkloadResult,
  writeResult,
} from './lib/results'
import { type BenchServer, startServer } from './lib/server'
import { type Cell, printTable } from './lib/table'
import { now, withTimeout } from './lib/util'
import type { Workload, WorkloadContext } from './lib/workload'
import { fanout } from './workloads/fanout'
import { latency } from './workloads/latency'
import { memory } from './workloads/memory'
import { multitab } from './workloads/multitab'
import { optimistic } from './workloads/optimistic'
import { pokeScale } from './workloads/poke-scale'
import { seed } from './workloads/seed'
import { sqlCost } from './workloads/sql-cost'
import { temporal } from './workloads/temporal'
import { throughput } from './workloads/throughput'

/** Every workload, in the order `pnpm bench` runs them. Client-core ones plug in here too. */
export const WORKLOADS: readonly Workload[] = [
  latency,
  throughput,
  fanout,
  seed,
  pokeScale,
  temporal,
  optimistic,
  multitab,
  memory,
]
/** Diagnostics: run only when named (`pnpm bench sql-cost`). */
export const DIAGNOSTICS: readonly Workload[] = [sqlCost]

const STAT_LABEL: Record<Target['stat'], string> = {
  median: 'p50',
  p95: 'p95',
  p99: 'p99',
  max: 'max',
  value: '',
}

function describeTarget(t: Target, unit: string): string {
  return `${STAT_LABEL[t.stat]} ${t.op === '<=' ? '≤' : '≥'} ${t.value.toLocaleString('en-US')} ${unit}`.trim()
}

async function runOne(w: Workload): Promise<{ file: ResultFile; rows: Cell[][] }> {
  console.log(`\n=== ${w.name}: ${w.description}`)
  const servers: BenchServer[] = []
  const browsers: BenchBrowser[] = []
  const clients: SyncClient[] = []
  const started = now()
  const cpuProfiles: Record<string, ProfileSummary & { file: string }> = {}
  const ctx: WorkloadContext = {
    startServer: async (options) => {
      const s = await startServer({ ...options, inspector: PROFILING })
      servers.push(s)
      ctx.setup.server = 'startTestServer (@lumenize/server/testing): Miniflare + workerd, 127.0.0.1'
      return s
    },
    openBrowser: async () => {
      const b = await openBrowser(ctx.log)
      browsers.push(b)
      ctx.setup.chromium = b.chromiumVersion
      return b
    },
    track: (...cs) => {
      for (const c of cs) if (c) clients.push(c)
    },
    closeTracked: async () => {
      const list = clients.splice(0)
      await closeAll(list)
    },
    log: (m) => console.log(`  ${m}`),
    profiled: async (label, fn) => {
      const url = servers[servers.length - 1]?.inspectorUrl
      if (!PROFILING || !url) return fn()
      const profiler = await Profiler.attach(url)
      await profiler.start()
      try {
        return await fn()
      } finally {
        const profile = await profiler.stop()
        profiler.close()
        const file = saveProfile(`${w.name}-${label}`, profile)
        const summary = summarizeProfile(profile)
        cpuProfiles[label] = { file, ...summary }
        printTable(
          `server CPU profile: ${w.name} ${label} (busy ${summary.busyMs} ms of ${summary.wallMs} ms; ${file})`,
          ['function (self time)', 'ms', '%'],
          summary.self.slice(0, 12).map((f) => [f.fn, f.ms, f.pct]),
        )
      }
    },
    setup: { wsDeflate: process.env.BENCH_WS_DEFLATE === '1' },
    deadline: started + w.budgetMs * 0.8,
  }
  const base = {
    workload: w.name,
    description: w.description,
    date: new Date().toISOString(),
    machine: machine(),
    versions: versions(),
  }
  let result: WorkloadResult | undefined
  let error: string | undefined
  try {
    result = await withTimeout(w.run(ctx), w.budgetMs, `workload ${w.name} (budget)`)
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err)
    console.error(`  ✖ ${w.name} failed: ${error}`)
  } finally {
    await closeAll(clients.splice(0)).catch(() => undefined)
    for (const b of browsers) await b.close()
    for (const s of servers) await s.dispose()
  }
  const pending: NotMeasured[] = [...(w.pending ?? [])]
  const notMeasured = [...(result?.notMeasured ?? []), ...pending]
  const hasMetrics = result !== undefined && Object.keys(result.metrics).length > 0
  const file: ResultFile = {
    ...base,
    status: error ? 'failed' : hasMetrics ? 'ok' : 'not-measured',
    ...(error ? { error } : {}),
    durationMs: Math.round(now() - started),
    setup: ctx.setup,
    ...(result ?? { parameters: {}, metrics: {} }),
    ...(notMeasured.length ? { notMeasured } : {}),
    ...(Object.keys(cpuProfiles).length ? { cpuProfiles } : {}),
  }
  const path = writeResult(file)
  console.log(`  → ${path.slice(path.indexOf('bench/'))} (${(file.durationMs / 1000).toFixed(1)} s)`)
  const rows: Cell[][] = []
  if (error) rows.push([w.name, '(workload)', '', 'FAILED', false])
  for (const [name, m] of Object.entries(result?.metrics ?? {})) {
    if (!m.target) {
      if (m.headline)
        rows.push([w.name, name, '(no target)', `${m.summary?.median ?? m.value} ${m.unit}`, '-'])
      continue
    }
    const x = m.target.stat === 'value' ? m.value : m.summary?.[m.target.stat]
    rows.push([w.name, name, describeTarget(m.target, m.unit), `${x} ${m.unit}`, m.met ?? false])
  }
  for (const n of notMeasured)
    rows.push([
      w.name,
      n.metric,
      '',
      n.status === 'not-applicable' ? 'not applicable' : 'not yet measured',
      '-',
    ])
  return { file, rows }
}

function parseArgs(argv: readonly string[]): Workload[] {
  const names = argv.filter((a) => a !== '--' && a.trim() !== '')
  if (names.length === 0) return [...WORKLOADS]
  const all = [...WORKLOADS, ...DIAGNOSTICS]
  const unknown = names.filter((n) => !all.some((w) => w.name === n))
  if (unknown.length) {
    console.error(`Unknown workload(s): ${unknown.join(', ')}. Known: ${all.map((w) => w.name).join(', ')}`)
    process.exit(2)
  }
  return all.filter((w) => names.includes(w.name))
}

async function main(): Promise<void> {
  const selected = parseArgs(process.argv.slice(2))
  const v = versions()
  const m = machine()
  console.log(
    `Lumenize bench: ${m.cpuCount} × ${m.cpuModel}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, Node ${m.node}; ` +
      `miniflare ${v.miniflare}, workerd ${v.workerd}, commit ${v.lumenizeCommit.slice(0, 10)}${v.lumenizeDirty ? ' (dirty)' : ''}`,
  )
  const t0 = now()
  const rows: Cell[][] = []
  let failed = 0
  for (const w of selected) {
    const r = await runOne(w)
    if (r.file.status === 'failed') failed++
    rows.push(...r.rows)
  }
  printTable(
    `Summary (${((now() - t0) / 1000).toFixed(0)} s)`,
    ['workload', 'metric', 'target', 'measured', 'met'],
    rows,
  )
  process.exit(failed ? 1 : 0)
}

void main().catch((err) => {
  console.error(err)
  process.exit(1)
})
