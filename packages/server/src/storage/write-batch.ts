// One atomic write: applies upserts, patches and deletes, then checks every invariant the batch
// could break (OrgTree shape, references, unique fields) before the SQLite transaction commits.
import {
  END_OF_TIME,
  type EntitySnapshot,
  ErrorKind,
  type JsonObject,
  mergePatch,
  ORG_NODE_TYPE,
  type WriteOp,
} from '@lumenize/protocol'
import { conflict, LumenizeError, notFound, typeMismatch } from '../errors'
import { type Links, linksOf } from './links'
import type { OpLog } from './op-log'
import { childIds, type OrgTree, validateOrgNode } from './orgtree'
import type { Snapshots } from './snapshots'
import type { TypeRegistry } from './type-registry'

/** The pieces of the store a write batch works with. */
export interface BatchParts {
  sql: SqlStorage
  snapshots: Snapshots
  types: TypeRegistry
  links: Links
  orgTree: OrgTree
  opLog: OpLog
  rootId: () => string
}

/** Who is writing: set when the write comes from a pushed mutation. */
export interface WriteContext {
  clientId?: string
  mutationId?: number
}

/** One committed change: the entity before (undefined if new) and after, and its op-log seq. */
export interface CommittedChange {
  seq: number
  op: 'upsert' | 'patch' | 'delete'
  before: EntitySnapshot | undefined
  after: EntitySnapshot
}

export class WriteBatch {
  readonly changes: CommittedChange[] = []
  private readonly addedEdges: Array<[string, string]> = []
  /** OrgNodes whose parent set or deletion must be re-checked at the end. */
  private readonly nodesToCheck = new Set<string>()
  private readonly written = new Map<string, EntitySnapshot>()

  constructor(
    private readonly parts: BatchParts,
    private readonly now: number,
    private readonly ctx: WriteContext,
  ) {}

  apply(op: WriteOp): EntitySnapshot {
    switch (op.op) {
      case 'upsert': {
        const id = op.id ?? crypto.randomUUID()
        const cur = this.parts.snapshots.latest(id)
        this.checkIfMatch(id, op.ifMatch, cur)
        if (cur && cur.type !== op.type) throw typeMismatch(id, cur.type, op.type)
        return this.write(id, op.type, op.value, false, 'upsert', cur)
      }
      case 'patch': {
        const cur = this.live(op.id)
        this.checkIfMatch(op.id, op.ifMatch, cur)
        return this.write(op.id, cur.type, mergePatch(cur.value, op.value), false, 'patch', cur)
      }
      case 'delete': {
        const cur = this.live(op.id)
        this.checkIfMatch(op.id, op.ifMatch, cur)
        if (op.id === this.parts.rootId()) {
          throw new LumenizeError(ErrorKind.rootImmutable, 'The OrgTree root cannot be deleted', {
            id: op.id,
          })
        }
        if (cur.type === ORG_NODE_TYPE) {
          const kids = childIds(cur.value)
          if (kids.length > 0) {
            throw new LumenizeError(
              ErrorKind.notALeaf,
              `OrgNode ${op.id} still has ${kids.length} children: move or delete them first`,
              { id: op.id, children: kids },
            )
          }
          this.detachFromParents(op.id)
        }
        return this.write(op.id, cur.type, cur.value, true, 'delete', cur)
      }
      default:
        return op satisfies never
    }
  }

  /** Checks what only the whole batch can tell: edges, parents, leaves, references, uniqueness. */
  finish(): void {
    const { orgTree, links, snapshots } = this.parts
    for (const [parent, child] of this.addedEdges) {
      const node = snapshots.get(child)
      if (!node || node.type !== ORG_NODE_TYPE) {
        throw new LumenizeError(
          ErrorKind.danglingEdge,
          `${parent} lists child ${child}, which is not an existing OrgNode`,
          {
            parent,
            child,
          },
        )
      }
      orgTree.checkAcyclic(parent, child)
    }
    for (const id of this.nodesToCheck) {
      const node = snapshots.latest(id)
      if (!node || node.type !== ORG_NODE_TYPE || node.deleted) continue
      if (id !== this.parts.rootId() && orgTree.parents(id).length === 0) {
        throw new LumenizeError(
          ErrorKind.secondRoot,
          `OrgNode ${id} would have no parent, making a second root: keep at least one parent edge`,
          { id },
        )
      }
    }
    for (const snap of this.written.values()) {
      if (snap.deleted) {
        const by = links.referrers(snap.id)
        if (by.length > 0) {
          throw new LumenizeError(
            ErrorKind.referenced,
            `${snap.id} is still referenced by ${by.join(', ')}`,
            {
              id: snap.id,
              referrers: by,
            },
          )
        }
      } else {
        links.checkTargets(snap.id, linksOf(this.parts.types.get(snap.type), snap.value))
        this.parts.types.checkUnique(snap.type, snap.id, snap.value)
      }
    }
  }

  private live(id: string): EntitySnapshot {
    const cur = this.parts.snapshots.latest(id)
    if (!cur || cur.deleted) throw notFound(id)
    return cur
  }

  private checkIfMatch(id: string, ifMatch: number | undefined, cur: EntitySnapshot | undefined): void {
    if (ifMatch === undefined) return
    const current = cur?.version ?? 0
    if (ifMatch !== current) throw conflict(id, ifMatch, current)
  }

  /** Deleting a node takes it out of its parents' children first (new parent snapshots). */
  private detachFromParents(id: string): void {
    for (const parent of this.parts.orgTree.parents(id)) {
      const p = this.live(parent)
      this.write(parent, p.type, mergePatch(p.value, { children: { [id]: null } }), false, 'patch', p)
    }
  }

  private write(
    id: string,
    type: string,
    input: JsonObject,
    deleted: boolean,
    op: CommittedChange['op'],
    cur: EntitySnapshot | undefined,
  ): EntitySnapshot {
    const { sql, types, links, orgTree, opLog } = this.parts
    const value = deleted ? input : types.validate(type, input)
    if (type === ORG_NODE_TYPE && !deleted) validateOrgNode(value)
    const version = (cur?.version ?? 0) + 1
    const clientId = this.ctx.clientId ?? null
    const mutationId = this.ctx.mutationId ?? null
    if (cur)
      sql.exec(`UPDATE snapshots SET valid_to = ? WHERE id = ? AND valid_to = ${END_OF_TIME}`, this.now, id)
    const seq = opLog.append({ entityId: id, op, version, at: this.now, clientId, mutationId })
    sql.exec(
      `INSERT INTO snapshots (id, version, type, value, valid_from, valid_to, deleted, op, seq, client_id, mutation_id)
       VALUES (?, ?, ?, ?, ?, ${END_OF_TIME}, ?, ?, ?, ?, ?)`,
      id,
      version,
      type,
      JSON.stringify(value),
      this.now,
      deleted ? 1 : 0,
      op,
      seq,
      clientId,
      mutationId,
    )
    const t = types.get(type)
    const before = cur && !cur.deleted ? linksOf(t, cur.value) : []
    links.sync(id, before, deleted ? [] : linksOf(t, value), this.now, seq)
    if (type === ORG_NODE_TYPE) {
      const was = cur && !cur.deleted ? childIds(cur.value) : []
      const { added, removed } = orgTree.syncEdges(id, was, deleted ? [] : childIds(value), this.now, seq)
      for (const child of added) this.addedEdges.push([id, child])
      for (const child of removed) this.nodesToCheck.add(child)
      this.nodesToCheck.add(id)
    }
    const after: EntitySnapshot = {
      id,
      type,
      value,
      version,
      validFrom: this.now,
      validTo: END_OF_TIME,
      deleted,
      clientId,
      mutationId,
    }
    this.written.set(id, after)
    this.changes.push({ seq, op, before: cur, after })
    return after
  }
}
