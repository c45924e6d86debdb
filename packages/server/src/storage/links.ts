// References and OrgTree attachments between entities, kept as valid-time rows so that `under`
// queries work as of any instant, and so that a referenced entity cannot silently disappear.
import { END_OF_TIME, ErrorKind, type JsonObject, ORG_NODE_TYPE, readField } from '@lumenize/protocol'
import type { EntityTypeConfig } from '../config'
import { LumenizeError } from '../errors'
import type { Snapshots } from './snapshots'

interface Link {
  field: string
  to: string
  attach: boolean
  /** The type the target must have, or '*'. */
  target: string
}

/** The links a value declares through its type's `references` and `attachTo` fields. */
export function linksOf(t: EntityTypeConfig, value: JsonObject): Link[] {
  const out: Link[] = []
  const collect = (field: string, target: string, attach: boolean): void => {
    const v = readField(value, field)
    const ids = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]
    for (const to of ids) {
      if (typeof to !== 'string') {
        throw new LumenizeError(
          ErrorKind.validation,
          `Field ${field} must hold an entity id or an array of ids`,
          {
            field,
          },
        )
      }
      out.push({ field, to: to.toLowerCase(), attach, target })
    }
  }
  for (const [field, target] of Object.entries(t.references ?? {})) collect(field, target, false)
  if (t.attachTo) collect(t.attachTo, ORG_NODE_TYPE, true)
  return out
}

const key = (l: Link): string => `${l.attach ? 'a' : 'r'}|${l.field}|${l.to}`

export class Links {
  constructor(
    private readonly sql: SqlStorage,
    private readonly snapshots: Snapshots,
  ) {}

  /** Moves an entity's current links from `before` to `after` (empty after a delete). */
  sync(from: string, before: Link[], after: Link[], now: number, seq: number): void {
    const old = new Map(before.map((l) => [key(l), l]))
    const next = new Map(after.map((l) => [key(l), l]))
    for (const [k, l] of old) {
      if (next.has(k)) continue
      this.sql.exec(
        `UPDATE links SET valid_to = ?, to_seq = ? WHERE from_id = ? AND to_id = ? AND field = ? AND valid_to = ${END_OF_TIME}`,
        now,
        seq,
        from,
        l.to,
        l.field,
      )
    }
    for (const [k, l] of next) {
      if (old.has(k)) continue
      this.sql.exec(
        `INSERT INTO links (from_id, to_id, field, attach, valid_from, valid_to, from_seq)
         VALUES (?, ?, ?, ?, ?, ${END_OF_TIME}, ?)`,
        from,
        l.to,
        l.field,
        l.attach ? 1 : 0,
        now,
        seq,
      )
    }
  }

  /** Refuses links to entities that do not exist now or are of the wrong type. */
  checkTargets(from: string, links: Link[]): void {
    for (const l of links) {
      const target = this.snapshots.get(l.to)
      if (!target || (l.target !== '*' && target.type !== l.target)) {
        const what = l.target === '*' ? 'entity' : l.target
        throw new LumenizeError(
          ErrorKind.reference,
          `${from}.${l.field} points at ${l.to}, which is not an existing ${what}`,
          { id: from, field: l.field, target: l.to, expectedType: l.target },
        )
      }
    }
  }

  /** Ids of current entities that link to `id` (at most `limit`). */
  referrers(id: string, limit = 10): string[] {
    return this.sql
      .exec<{ from_id: string }>(
        `SELECT DISTINCT from_id FROM links WHERE to_id = ? AND valid_to = ${END_OF_TIME} LIMIT ?`,
        id,
        limit,
      )
      .toArray()
      .map((r) => r.from_id)
  }
}
