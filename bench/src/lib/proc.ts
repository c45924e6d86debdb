// Process inspection through /proc (Linux): the workerd process a server start spawned (a descendant of this process), its resident
// memory, open files and CPU time.
import { readdirSync, readFileSync } from 'node:fs'

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Pids of the workerd processes below `root` (by default this process). Miniflare spawns workerd as
 * a child of the Node process that starts the server.
 */
export function workerdDescendants(root = process.pid): number[] {
  return descendants((argv0) => argv0.endsWith('/workerd'), root)
}

/** Pids of the processes below `root` whose executable (argv[0]) matches. */
export function descendants(match: (argv0: string) => boolean, root = process.pid): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const status = read(`/proc/${name}/status`)
    const ppid = status ? /^PPid:\s+(\d+)/m.exec(status)?.[1] : undefined
    if (ppid === undefined) continue
    const list = children.get(Number(ppid))
    if (list) list.push(Number(name))
    else children.set(Number(ppid), [Number(name)])
  }
  const out: number[] = []
  const stack = [...(children.get(root) ?? [])]
  while (stack.length > 0) {
    const pid = stack.pop()!
    stack.push(...(children.get(pid) ?? []))
    const cmd = read(`/proc/${pid}/cmdline`)
    const argv0 = cmd?.split('\0')[0]
    if (argv0 && match(argv0)) out.push(pid)
  }
  return out
}

/** Resident set size of a process in bytes (VmRSS), or undefined if it is gone. */
export function rssBytes(pid: number): number | undefined {
  const status = read(`/proc/${pid}/status`)
  const kb = status ? /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] : undefined
  return kb ? Number(kb) * 1024 : undefined
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return undefined
  }
}

const TICKS_PER_SECOND = 100

/** User + system CPU time of a process in ms (from /proc/<pid>/stat, at 100 ticks/s). */
export function cpuMs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`)
  if (!stat) return undefined
  // Fields after the command name (which is in parentheses and may hold spaces).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  return ((utime + stime) * 1000) / TICKS_PER_SECOND
}

/** CPU time of this Node process in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
