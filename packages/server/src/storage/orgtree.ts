// The OrgTree: a DAG of OrgNode entities with one root. Edges live in the parent's `children`
// value and are mirrored, with valid time, in `org_edges` for recursive subtree queries.
import { END_OF_TIME, ErrorKind, isUuid, type JsonObject, type JsonValue } from '@lumenize/protocol'
import { LumenizeError, validationError } from '../errors'
import { validAt } from './snapshots'

const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/

/** Checks the OrgNode fields of a value: slug, name and children (child id -> edge metadata). */
export function validateOrgNode(value: JsonObject): void {
  const { slug, name, children } = value
  if (typeof slug !== 'string' || !SLUG_RE.test(slug)) {
    throw validationError('OrgNode.slug must be lowercase letters, digits and inner hyphens (1-64)', {
      field: 'slug',
    })
  }
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw validationError('OrgNode.name must be a string of 1 to 200 characters', { field: 'name' })
  }
  if (typeof children !== 'object' || children === null || Array.isArray(children)) {
    throw validationError('OrgNode.children must be an object mapping child ids to edge metadata', {
      field: 'children',
    })
  }
  for (const [child, meta] of Object.entries(children)) {
    if (!isUuid(child)) throw validationError(`OrgNode.children key "${child}" is not an entity id`)
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw validationError(`OrgNode.children["${child}"] must be an object (edge metadata)`)
    }
  }
}

/** The child ids of an OrgNode value. */
export function childIds(value: JsonObject | undefined): string[] {
  const c: JsonValue | undefined = value?.children
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? Object.keys(c) : []
}

export class OrgTree {
  constructor(private readonly sql: SqlStorage) {}

  /** Mirrors a parent's child edges from `before` to `after` into org_edges. */
  syncEdges(
    parent: string,
    before: string[],
    after: string[],
    now: number,
    seq: number,
  ): { added: string[]; removed: string[] } {
    const old = new Set(before)
    const next = new Set(after)
    const removed = before.filter((c) => !next.has(c))
    const added = after.filter((c) => !old.has(c))
    for (const child of removed) {
      this.sql.exec(
        `UPDATE org_edges SET valid_to = ?, to_seq = ? WHERE parent = ? AND child = ? AND valid_to = ${END_OF_TIME}`,
        now,
        seq,
        parent,
        child,
      )
    }
    for (const child of added) {
      this.sql.exec(
        `INSERT INTO org_edges (parent, child, valid_from, valid_to, from_seq) VALUES (?, ?, ?, ${END_OF_TIME}, ?)`,
        parent,
        child,
        now,
        seq,
      )
    }
    return { added, removed }
  }

  /** Current parents of a node. */
  parents(id: string, asOf?: number): string[] {
    return this.sql
      .exec<{ parent: string }>(
        `SELECT parent FROM org_edges e WHERE e.child = ? AND ${validAt('e', asOf)}`,
        id,
      )
      .toArray()
      .map((r) => r.parent)
  }

  /** Every parent -> child edge, now or as of an instant. */
  edges(asOf?: number): Array<{ parent: string; child: string }> {
    return this.sql
      .exec<{ parent: string; child: string }>(
        `SELECT parent, child FROM org_edges e WHERE ${validAt('e', asOf)}`,
      )
      .toArray()
      .map((e) => ({ parent: e.parent, child: e.child }))
  }

  /** A recursive CTE named `sub(id)` holding `?` and every node below it (each once). */
  static subtreeCte(asOf?: number): string {
    return `WITH RECURSIVE sub(id) AS (
      SELECT ? UNION SELECT e.child FROM org_edges e JOIN sub ON e.parent = sub.id WHERE ${validAt('e', asOf)})`
  }

  /** The ids of every node below `id` (not `id` itself), each once even where paths rejoin. */
  descendantIds(id: string, asOf?: number): string[] {
    return this.sql
      .exec<{ id: string }>(`${OrgTree.subtreeCte(asOf)} SELECT id FROM sub WHERE id != ?`, id, id)
      .toArray()
      .map((r) => r.id)
  }

  /** The ids of every node above `id` (not `id` itself), up to the root. */
  ancestorIds(id: string, asOf?: number): string[] {
    return this.sql
      .exec<{ id: string }>(
        `WITH RECURSIVE up(id) AS (
           SELECT ? UNION SELECT e.parent FROM org_edges e JOIN up ON e.child = up.id WHERE ${validAt('e', asOf)})
         SELECT id FROM up WHERE id != ?`,
        id,
        id,
      )
      .toArray()
      .map((r) => r.id)
  }

  /** Refuses an edge parent -> child that would close a cycle (a node under itself). */
  checkAcyclic(parent: string, child: string): void {
    const cycle =
      parent === child ||
      this.sql.exec(`${OrgTree.subtreeCte()} SELECT 1 FROM sub WHERE id = ? LIMIT 1`, child, parent).toArray()
        .length > 0
    if (cycle) {
      throw new LumenizeError(
        ErrorKind.cycle,
        `Adding ${child} under ${parent} would make a cycle: ${parent} is ${parent === child ? 'the same node' : `under ${child}`}`,
        { parent, child },
      )
    }
  }
}
