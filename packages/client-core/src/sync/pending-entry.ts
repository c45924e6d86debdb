// One queued mutation and the promise its caller waits on (settled once, whoever settles it first).

export interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (e: Error) => void
  settled: boolean
}

export function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const d: Deferred = {
    promise: new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    }),
    resolve: () => {
      if (d.settled) return
      d.settled = true
      resolve()
    },
    reject: (e) => {
      if (d.settled) return
      d.settled = true
      reject(e)
    },
    settled: false,
  }
  // Callers that care attach their own handlers; nobody else should see an unhandled rejection.
  d.promise.catch(() => undefined)
  return d
}

/** One queued mutation. */
export interface PendingEntry {
  readonly clientId: string
  readonly id: number
  readonly name: string
  readonly args: unknown
  readonly createdAt: number
  /** Order among this client's own mutations of this session (0 for adopted ones). */
  readonly seq: number
  /** Made by this client now (a caller may await it); false for a closed client's, adopted here. */
  readonly own: boolean
  /**
   * Pushed by this queue. False for a sibling's mutation that is only shown here (its hub pushes it):
   * it is settled by the same confirmations and rejections, and never sent.
   */
  readonly sendable: boolean
  persisted: boolean
  /** The connection generation it was last sent on (-1: not sent since the last (re)connect). */
  sentGen: number
  readonly done: Deferred
  readonly size: number
}
