// Op-log retention: keep the last `keepCount` entries and everything younger than `keepMs`, trim the
// rest on an alarm. A cookie older than the trim point gets a full seed instead of a replay.
import type { OpLogRetention } from '../config'
import { META } from '../storage/meta'
import type { Store } from '../storage/store'
import { readAttachment } from './attachment'
import { pokeEnd, pokeStart } from './frames'
import { sendSerialized } from './send'
import type { Sessions } from './sessions'

const DAY = 86_400_000
export const DEFAULT_KEEP_COUNT = 100_000
export const DEFAULT_KEEP_MS = 7 * DAY

export class Retention {
  /** Cache of the trim point (read once per instance, kept current by `trim`). */
  private trimmed: number | undefined
  /** When the trim alarm is set for (as known to this instance). */
  private alarmAt: number | undefined
  private readonly keepCount: number
  private readonly keepMs: number

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: Store,
    private readonly sessions: Sessions,
    /** Delivers pending pokes: a trim drops the op-log entries their diff reads. */
    private readonly flushPokes: () => void,
    retention: OpLogRetention = {},
  ) {
    this.keepCount = retention.keepCount ?? DEFAULT_KEEP_COUNT
    this.keepMs = retention.keepMs ?? DEFAULT_KEEP_MS
  }

  /** Cookies at or above this can resume from the op-log. */
  trimmedThrough(): number {
    this.trimmed ??= this.store.meta.getNumber(META.trimmedThrough) ?? 0
    return this.trimmed
  }

  /** Drops op-log entries beyond retention (or all but the last `keepLast`); older cookies re-seed. */
  trim(keepLast?: number): { trimmedThrough: number } {
    this.flushPokes()
    const seq = this.store.seq()
    let cut = seq - (keepLast ?? this.keepCount)
    if (keepLast === undefined)
      cut = Math.min(cut, this.store.opLog.lastSeqBefore(Date.now() - this.keepMs) ?? 0)
    if (cut <= this.trimmedThrough()) return { trimmedThrough: this.trimmedThrough() }
    // Live sockets are current: move their cookies up so a quiet subscription is not re-seeded later.
    for (const [, ws] of this.sessions.openSockets()) {
      if (readAttachment(ws)?.cid)
        sendSerialized(ws, [pokeStart(`t${seq}`, seq, seq), pokeEnd(`t${seq}`, seq, {})])
    }
    this.store.transaction(() => {
      this.store.opLog.trimThrough(cut)
      this.store.meta.set(META.trimmedThrough, cut)
    })
    this.trimmed = cut
    return { trimmedThrough: cut }
  }

  /**
   * Sets the alarm for when trimming will have something to drop: an entry both beyond `keepCount`
   * (with 10% slack, so trims come in chunks) and older than `keepMs`.
   */
  scheduleTrim(): void {
    const trimmed = this.trimmedThrough()
    if (this.store.seq() - trimmed <= this.keepCount * 1.1) return
    const oldest = this.store.opLog.firstAtAfter(trimmed)
    if (oldest === undefined) return
    const at = Math.max(Date.now() + 100, oldest + this.keepMs + 1)
    if (this.alarmAt !== undefined && this.alarmAt <= at) return
    this.alarmAt = at
    void this.ctx.storage.setAlarm(at)
  }

  /** The alarm: trim what retention allows, then schedule the next trim if one is due later. */
  onAlarm(): void {
    this.alarmAt = undefined
    this.trim()
    this.scheduleTrim()
  }
}
