// Temporal helpers: rows keep epoch-ms times on the wire; apps read them as Temporal.Instant.
import { Temporal } from '@js-temporal/polyfill'
import { END_OF_TIME } from '@lumenize/protocol'

export { Temporal }

/** An instant as the client accepts it: a Temporal.Instant, epoch ms, an ISO-8601 string or a Date. */
export type InstantLike = Temporal.Instant | number | string | Date

/**
 * Epoch milliseconds of an instant.
 *
 * @example toEpochMs('2026-11-23T10:00:00Z') // 1795428000000
 */
export function toEpochMs(at: InstantLike): number {
  if (typeof at === 'number') return at
  if (typeof at === 'string') return Temporal.Instant.from(at).epochMilliseconds
  if (at instanceof Date) return at.getTime()
  return at.epochMilliseconds
}

/** A Temporal.Instant from epoch milliseconds. */
export function toInstant(ms: number): Temporal.Instant {
  return Temporal.Instant.fromEpochMilliseconds(ms)
}

/**
 * The valid-time interval of a row as instants; `validTo` is null for the current snapshot.
 *
 * @example
 * const { validFrom, validTo } = temporalOf(row)
 * validFrom.toString() // '2026-11-23T10:00:00.123Z'
 */
export function temporalOf(row: { validFrom: number; validTo: number }): {
  validFrom: Temporal.Instant
  validTo: Temporal.Instant | null
} {
  return {
    validFrom: toInstant(row.validFrom),
    validTo: row.validTo >= END_OF_TIME ? null : toInstant(row.validTo),
  }
}

/** True when the row was valid at `at` (validFrom inclusive, validTo exclusive). */
export function validAt(row: { validFrom: number; validTo: number }, at: InstantLike): boolean {
  const ms = toEpochMs(at)
  return row.validFrom <= ms && ms < row.validTo
}
