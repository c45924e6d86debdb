// CPU profiles of the Worker's isolate through workerd's V8 inspector (BENCH_PROFILE=1): which
// server functions the measured phase spends its time in. Full profiles go to
// bench/results/profiles/ (git-ignored; open them in Chrome DevTools), a summary into the JSON.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { RESULTS_DIR } from './results'
import { round } from './stats'
import { withTimeout } from './util'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number
  wallMs: number
  /** Functions by self time (time in the function itself, SQLite and JSON natives included). */
  self: Array<{ fn: string; ms: number; pct: number }>
  /** Functions by inclusive time (itself and what it calls). */
  inclusive: Array<{ fn: string; ms: number; pct: number }>
}

export const PROFILING = process.env.BENCH_PROFILE === '1'

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)'
  if (!f.url) return name
  const file = f.url.split('/').pop() ?? f.url
  return `${name} ${file}:${f.lineNumber + 1}`
}

export function summarizeProfile(p: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0))
  }
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfByFn = new Map<string, number>()
  const inclByFn = new Map<string, number>()
  let busy = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    const name = node.callFrame.functionName
    if (name === '(idle)') continue
    busy += us
    const l = label(node.callFrame)
    selfByFn.set(l, (selfByFn.get(l) ?? 0) + us)
    // Inclusive: credit every distinct function on the stack once.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)
      if (!n || n.callFrame.functionName === '(root)') continue
      const fl = label(n.callFrame)
      if (seen.has(fl)) continue
      seen.add(fl)
      inclByFn.set(fl, (inclByFn.get(fl) ?? 0) + us)
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: round(us / 1000), pct: round((us / busy) * 100) }))
  return {
    busyMs: round(busy / 1000),
    wallMs: round((p.endTime - p.startTime) / 1000),
    self: rank(selfByFn),
    inclusive: rank(inclByFn),
  }
}

/** A DevTools-protocol session on the Worker's isolate. */
export class Profiler {
  private nextId = 1
  private readonly waiting = new Map<number, (r: { result?: unknown; error?: unknown }) => void>()

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown }
      if (msg.id !== undefined) {
        this.waiting.get(msg.id)?.(msg)
        this.waiting.delete(msg.id)
      }
    })
  }

  static async attach(url: string): Promise<Profiler> {
    const ws = new WebSocket(url)
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      }),
      10_000,
      'inspector open',
    )
    const p = new Profiler(ws)
    await p.send('Profiler.enable')
    await p.send('Profiler.setSamplingInterval', { interval: 200 })
    return p
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++
    const reply = new Promise<{ result?: unknown; error?: unknown }>((r) => this.waiting.set(id, r))
    this.ws.send(JSON.stringify({ id, method, params }))
    return withTimeout(reply, 30_000, method).then((r) => {
      if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`)
      return r.result
    })
  }

  async start(): Promise<void> {
    await this.send('Profiler.start')
  }

  async stop(): Promise<CpuProfile> {
    const r = (await this.send('Profiler.stop')) as { profile: CpuProfile }
    return r.profile
  }

  close(): void {
    this.ws.close()
  }
}

/** Writes the raw profile for DevTools and returns its path relative to the repository. */
export function saveProfile(name: string, profile: CpuProfile): string {
  const dir = join(RESULTS_DIR, 'profiles')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.cpuprofile`)
  writeFileSync(path, JSON.stringify(profile))
  return `bench/results/profiles/${name}.cpuprofile`
}

/**
 * Drops the samples taken inside the inspector session's own `post` (an in-process profile samples
 * the stop call serializing it): they are the measurement, not the measured.
 */
function withoutInspector(p: CpuProfile): CpuProfile {
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const inside = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame
      if (f?.functionName === 'post' && f.url === 'node:inspector') return true
    }
    return false
  }
  const samples: number[] = []
  const timeDeltas: number[] = []
  p.samples.forEach((id, i) => {
    if (inside(id)) return
    samples.push(id)
    timeDeltas.push(p.timeDeltas[i] ?? 0)
  })
  return { ...p, samples, timeDeltas }
}

/** Runs `fn` under a V8 CPU profile of this Node process (the benchmark's own clients). */
export async function profileSelf<T>(fn: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
    const settled = await fn().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile }
    if (!settled.ok) throw settled.error
    return { result: settled.value, profile: withoutInspector(profile) }
  } finally {
    session.disconnect()
  }
}
