// In needsAuth, a token callback is asked again with the reconnect backoff until it yields a token;
// then the machine's `authRetry` reconnects. A static token the server refused stays refused.

import type { LumenizeClientError } from '../errors'
import { TokenError } from '../errors'

export class AuthRetry {
  private delay: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor(
    private readonly o: {
      token: string | (() => string | Promise<string>) | undefined
      backoff: { minReconnectionDelay: number; maxReconnectionDelay: number }
      retry: () => void
      report: (error: LumenizeClientError) => void
    },
  ) {
    this.delay = o.backoff.minReconnectionDelay
  }

  /** The token was refused (or the callback failed): ask again after the next delay. */
  schedule(): void {
    const token = this.o.token
    if (typeof token !== 'function' || this.timer !== undefined || this.stopped) return
    this.timer = setTimeout(async () => {
      this.timer = undefined
      try {
        await token()
        this.o.retry()
      } catch (err) {
        this.o.report(new TokenError(err))
        this.schedule()
      }
    }, this.delay)
    this.delay = Math.min(this.delay * 2, this.o.backoff.maxReconnectionDelay)
  }

  /** Connected again: the next refusal starts from the shortest delay. */
  reset(): void {
    this.delay = this.o.backoff.minReconnectionDelay
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
  }
}
