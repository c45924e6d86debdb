// The hub's socket needs a token, and tokens live in tabs (a token callback cannot cross a port): the
// hub asks a tab, which calls its callback and answers.
import type { PortControl } from '@lumenize/protocol'

const TOKEN_TIMEOUT_MS = 10_000

/** A tab the hub can ask. */
export interface TokenSource {
  send(messages: readonly PortControl[]): void
}

export class TokenRequests {
  private readonly open = new Map<
    string,
    { resolve: (t: string | undefined) => void; reject: (e: Error) => void }
  >()

  constructor(private readonly tab: () => TokenSource | undefined) {}

  /** A token from a tab (undefined when no tab is there, or its client has none). */
  ask(): Promise<string | undefined> {
    const tab = this.tab()
    if (!tab) return Promise.resolve(undefined)
    const requestId = crypto.randomUUID()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.open.delete(requestId)
        reject(new Error('No tab answered the token request'))
      }, TOKEN_TIMEOUT_MS)
      this.open.set(requestId, {
        resolve: (t) => {
          clearTimeout(timer)
          resolve(t)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      tab.send([{ type: 'tokenRequest', requestId }])
    })
  }

  answer(requestId: string, token: string | undefined, error: string | undefined): void {
    const request = this.open.get(requestId)
    if (!request) return
    this.open.delete(requestId)
    if (error !== undefined) request.reject(new Error(error))
    else request.resolve(token)
  }
}
