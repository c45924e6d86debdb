// Small async helpers: every wait in the benchmarks is bounded in time.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** Resolves with the promise, or rejects with a TimeoutError after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Runs `fn` over items with at most `limit` in flight; stops at the first error. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  })
  await Promise.all(workers)
}

export const now = (): number => performance.now()
