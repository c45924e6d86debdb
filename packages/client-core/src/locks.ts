// Exclusive named locks: the browser's Web Locks (shared by every tab and worker of an origin, and
// released by the browser when a holder's page dies), or an in-process stand-in where there are
// none (Node), which serves several clients of one process the same way.

/** A lock this client holds until it calls `release`. */
export interface HeldLock {
  release(): void
}

export interface LockOptions {
  /** Give up at once (resolve null) when someone else holds it. */
  ifAvailable?: boolean
  /** Stop waiting (resolve null). */
  signal?: AbortSignal
}

/** Acquires the lock `name`: resolves when granted, or null (taken, with `ifAvailable`, or aborted). */
export type AcquireLock = (name: string, options?: LockOptions) => Promise<HeldLock | null>

interface WebLocks {
  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void> | undefined,
  ): Promise<unknown>
}

function webLocks(): WebLocks | undefined {
  const nav = (globalThis as { navigator?: { locks?: WebLocks } }).navigator
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : undefined
}

const viaWebLocks =
  (locks: WebLocks): AcquireLock =>
  (name, options = {}) =>
    new Promise<HeldLock | null>((resolve, reject) => {
      const request = locks.request(
        name,
        {
          ...(options.ifAvailable ? { ifAvailable: true } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (lock) => {
          if (!lock) {
            resolve(null)
            return undefined
          }
          // Held until this promise settles.
          return new Promise<void>((release) => resolve({ release: () => release() }))
        },
      )
      request.catch((err: unknown) => {
        if (err instanceof Error && err.name === 'AbortError') resolve(null)
        else reject(err)
      })
    })

/** Locks of this JS realm: one holder per name, waiters granted in request order. */
class LocalLocks {
  private readonly held = new Map<string, Array<() => void>>()

  acquire: AcquireLock = (name, options = {}) => {
    const waiters = this.held.get(name)
    if (!waiters) {
      this.held.set(name, [])
      return Promise.resolve(this.lock(name))
    }
    if (options.ifAvailable || options.signal?.aborted) return Promise.resolve(null)
    return new Promise((resolve) => {
      const grant = (): void => {
        options.signal?.removeEventListener('abort', abort)
        resolve(this.lock(name))
      }
      const abort = (): void => {
        const i = waiters.indexOf(grant)
        if (i >= 0) waiters.splice(i, 1)
        resolve(null)
      }
      options.signal?.addEventListener('abort', abort, { once: true })
      waiters.push(grant)
    })
  }

  private lock(name: string): HeldLock {
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        const next = this.held.get(name)?.shift()
        if (next) next()
        else this.held.delete(name)
      },
    }
  }
}

let local: LocalLocks | undefined

/** The lock manager of this runtime: Web Locks where present, else in-process locks. */
export function defaultLocks(): AcquireLock {
  const locks = webLocks()
  if (locks) return viaWebLocks(locks)
  local ??= new LocalLocks()
  return local.acquire
}
