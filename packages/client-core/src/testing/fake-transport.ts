// A Transport driven by hand, for tests: open and drop the "socket", see what the client sent, and
// deliver server frames (with builders for the common ones).
import type { DownMessage, EntitySnapshot, UpMessage } from '@lumenize/protocol'
import { END_OF_TIME } from '@lumenize/protocol'
import type { Transport, TransportStatus } from '../transport'

export class FakeTransport implements Transport {
  readonly sent: UpMessage[] = []
  connectCalls = 0
  disconnectCalls = 0
  isOpen = false
  private readonly messageListeners = new Set<(m: unknown) => void>()
  private readonly statusListeners = new Set<
    (s: TransportStatus, d?: { code?: number; reason?: string }) => void
  >()

  connect(): void {
    this.connectCalls++
  }

  /** The socket opens (the client then sends `connect`). */
  open(): void {
    this.isOpen = true
    for (const l of [...this.statusListeners]) l('open')
  }

  /** The socket drops. */
  drop(code?: number): void {
    this.isOpen = false
    for (const l of [...this.statusListeners]) l('closed', code === undefined ? {} : { code })
  }

  send(message: UpMessage): boolean {
    if (!this.isOpen) return false
    this.sent.push(message)
    return true
  }

  /** Delivers frames from the "server", in order. */
  deliver(...frames: Array<DownMessage | Record<string, unknown>>): void {
    for (const f of frames) for (const l of [...this.messageListeners]) l(JSON.parse(JSON.stringify(f)))
  }

  /** The messages of one type sent so far. */
  sentOf<T extends UpMessage['type']>(type: T): Array<Extract<UpMessage, { type: T }>> {
    return this.sent.filter((m): m is Extract<UpMessage, { type: T }> => m.type === type)
  }

  onMessage(listener: (m: unknown) => void): () => void {
    this.messageListeners.add(listener)
    return () => this.messageListeners.delete(listener)
  }

  onStatus(listener: (s: TransportStatus, d?: { code?: number; reason?: string }) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /** The client dropped the socket on purpose: no status is reported for it. */
  disconnect(): void {
    this.disconnectCalls++
    this.isOpen = false
  }
}

let pokeCounter = 0

/** The frames of one poke: start, one part per subscription given, end. */
export function pokeFrames(options: {
  cookie: number
  baseCookie?: number
  parts?: Array<{ subId: string; puts?: EntitySnapshot[]; dels?: string[]; truncate?: boolean }>
  lmids?: Record<string, number>
}): DownMessage[] {
  const pokeId = `fake${++pokeCounter}`
  return [
    { type: 'pokeStart', pokeId, baseCookie: options.baseCookie ?? 0, cookie: options.cookie },
    ...(options.parts ?? []).map(
      (p): DownMessage => ({
        type: 'pokePart',
        pokeId,
        subId: p.subId,
        ...(p.truncate ? { truncate: true } : {}),
        puts: p.puts ?? [],
        dels: p.dels ?? [],
      }),
    ),
    { type: 'pokeEnd', pokeId, cookie: options.cookie, lastMutationIdChanges: options.lmids ?? {} },
  ]
}

/** A server-style snapshot. */
export function snapshot(
  id: string,
  value: Record<string, unknown>,
  extra: Partial<EntitySnapshot> = {},
): EntitySnapshot {
  return {
    id,
    type: 'Task',
    value: value as EntitySnapshot['value'],
    version: 1,
    validFrom: 1_000,
    validTo: END_OF_TIME,
    deleted: false,
    clientId: null,
    mutationId: null,
    ...extra,
  }
}
