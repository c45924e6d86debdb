// The record of a run: bench/results/<workload>.json (committed), with the machine, the versions,
// the parameters and per metric the summary over rounds, its target and whether it was met.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { round, roundSummary, type Summary, summarize } from './stats'

export const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url))
export const REPO_DIR = join(BENCH_DIR, '..')
export const RESULTS_DIR = join(BENCH_DIR, 'results')

/** What a metric must reach: `stat` of the summary compared with `value`. */
export interface Target {
  stat: 'median' | 'p95' | 'p99' | 'max' | 'value'
  op: '<=' | '>='
  value: number
}

export interface Metric {
  unit: string
  description: string
  /** Over the measured rounds (after warm-up). */
  summary?: Summary
  /** A single figure (a ratio, a rate over the whole run, …). */
  value?: number
  target?: Target
  met?: boolean
  note?: string
  /** Shown in the run's summary table even without a target. */
  headline?: boolean
}

export function metric(
  unit: string,
  description: string,
  samples: readonly number[] | number,
  target?: Target,
  note?: string,
): Metric {
  const m: Metric = { unit, description }
  if (typeof samples === 'number') m.value = round(samples)
  else m.summary = roundSummary(summarize(samples))
  if (target) {
    m.target = target
    const x = target.stat === 'value' ? m.value : m.summary?.[target.stat]
    m.met =
      x !== undefined && Number.isFinite(x) && (target.op === '<=' ? x <= target.value : x >= target.value)
  }
  if (note) m.note = note
  return m
}

export interface NotMeasured {
  metric: string
  reason: string
  /** 'not-applicable': what it would measure does not exist yet (default: pending, to be measured). */
  status?: 'pending' | 'not-applicable'
}

export interface WorkloadResult {
  parameters: Record<string, unknown>
  metrics: Record<string, Metric>
  /** Parameters lowered from the brief's, and why. */
  scaledDown?: string[]
  notMeasured?: NotMeasured[]
  notes?: string[]
  /** Where the time goes: server CPU, client CPU, frame sizes, … */
  profile?: Record<string, unknown>
}

export interface ResultFile extends Partial<WorkloadResult> {
  workload: string
  description: string
  date: string
  status: 'ok' | 'failed' | 'not-measured'
  error?: string
  durationMs: number
  machine: ReturnType<typeof machine>
  versions: ReturnType<typeof versions>
  setup: Record<string, unknown>
  /** BENCH_PROFILE=1 only: the server's CPU profile of measured phases. */
  cpuProfiles?: Record<string, unknown>
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
}

export function machine() {
  const list = cpus()
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cpuCount: list.length,
    totalMemoryBytes: totalmem(),
    os: `${platform()} ${release()}`,
    node: process.version,
    /** 1/5/15-minute load averages when the workload started: other processes share this machine. */
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

export interface Versions {
  miniflare: string
  workerd: string
  playwright: string
  lumenizeCommit: string
  /** packages/server, packages/protocol or packages/client-core had uncommitted changes. */
  lumenizeDirty: boolean
  /** Those uncommitted changes (`git status --porcelain` lines). */
  dirtyFiles: string[]
}

let cachedVersions: Versions | undefined

/** The version of a package as `fromPackageJson`'s package resolves it ('unknown' if it does not). */
function packageVersion(fromPackageJson: string, name: string): { version: string; dir: string | undefined } {
  try {
    const main = createRequire(fromPackageJson).resolve(name)
    // Walk up from the resolved entry to the package's own package.json.
    let dir = dirname(main)
    while (dir !== dirname(dir)) {
      try {
        const pkg = readJson(join(dir, 'package.json'))
        if (pkg.name === name) return { version: String(pkg.version), dir }
      } catch {
        // keep walking
      }
      dir = dirname(dir)
    }
  } catch {
    // not resolvable from there
  }
  return { version: 'unknown', dir: undefined }
}

export function versions(): Versions {
  if (cachedVersions) return cachedVersions
  // The server runs on packages/server's miniflare and the workerd beside it.
  const miniflare = packageVersion(join(REPO_DIR, 'packages', 'server', 'package.json'), 'miniflare')
  const workerd = miniflare.dir
    ? packageVersion(join(miniflare.dir, 'package.json'), 'workerd').version
    : 'unknown'
  const playwright = packageVersion(join(BENCH_DIR, 'package.json'), 'playwright').version
  let lumenizeCommit = 'unknown'
  let dirtyFiles: string[] = []
  try {
    lumenizeCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' }).trim()
    dirtyFiles = execFileSync(
      'git',
      ['status', '--porcelain', '--', 'packages/server', 'packages/protocol', 'packages/client-core'],
      { cwd: REPO_DIR, encoding: 'utf8' },
    )
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '')
  } catch {
    // not a git checkout
  }
  cachedVersions = {
    miniflare: miniflare.version,
    workerd,
    playwright,
    lumenizeCommit,
    lumenizeDirty: dirtyFiles.length > 0,
    dirtyFiles,
  }
  return cachedVersions
}

/** Writes the result atomically (tmp file then rename) with 2-space indentation and a final newline. */
export function writeResult(file: ResultFile): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${file.workload}.json`)
  const tmp = `${path}.tmp`
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`)
  renameSync(tmp, path)
  return path
}

/** Marks a metric for the run's summary table. */
export const headline = (m: Metric): Metric => ({ ...m, headline: true })
