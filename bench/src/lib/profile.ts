// CPU accounting of a phase: wall time, the workerd runtime's CPU and this Node process's CPU.
// With both on a 2-core machine, it tells whether the server or the benchmark's own clients are
// the bottleneck.
import { cpuMs, selfCpuMs } from './proc'
import type { BenchServer } from './server'
import { round } from './stats'
import { now } from './util'

export interface CpuSpan {
  wallMs: number
  serverCpuMs: number | undefined
  clientCpuMs: number
}

export function cpuMeter(server: BenchServer): () => CpuSpan {
  const pid = server.runtimePid
  const s0 = pid === undefined ? undefined : cpuMs(pid)
  const c0 = selfCpuMs()
  const t0 = now()
  return () => {
    const s1 = pid === undefined ? undefined : cpuMs(pid)
    return {
      wallMs: round(now() - t0),
      serverCpuMs: s0 === undefined || s1 === undefined ? undefined : round(s1 - s0),
      clientCpuMs: round(selfCpuMs() - c0),
    }
  }
}

/** A span divided by a count (per write, per round, …). */
export function perUnit(span: CpuSpan, units: number): CpuSpan {
  return {
    wallMs: round(span.wallMs / units),
    serverCpuMs: span.serverCpuMs === undefined ? undefined : round(span.serverCpuMs / units),
    clientCpuMs: round(span.clientCpuMs / units),
  }
}
