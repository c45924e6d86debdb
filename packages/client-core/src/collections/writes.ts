// Optimistic writes: the client's MutatorTx (mutators run against the live collections, inside a
// TanStack DB transaction), and the mapping of collection edits to one mutation.
import {
  compilePredicate,
  diffMergePatch,
  END_OF_TIME,
  type Filter,
  isJsonObject,
  type JsonObject,
  type MutationCall,
  type MutatorTx,
  mergePatch,
  mutationOfOps,
  type PushedWriteOp,
} from '@lumenize/protocol'
import type { PendingMutation } from '@tanstack/db'
import { type EntityRow, stripVirtual } from '../rows'
import type { WritableShape } from './types'

/**
 * A MutatorTx over collections: reads see every live collection plus this transaction's own writes;
 * writes go to `targets` (call it inside `transaction.mutate`). Checks (ifMatch, types, references)
 * are the server's: the client shows the effect and lets the server decide.
 */
export function collectionTx(
  targets: readonly WritableShape[],
  everyShape: () => Iterable<WritableShape>,
  clientId: string | null,
): MutatorTx {
  const overlay = new Map<string, EntityRow | null>()
  const read = (id: string): EntityRow | undefined => {
    if (overlay.has(id)) return overlay.get(id) ?? undefined
    for (const s of everyShape()) {
      const row = s.collection.get(id)
      if (row && !row.deleted) return stripVirtual(row as EntityRow)
    }
    return undefined
  }
  const write = (row: EntityRow): void => {
    overlay.set(row.id, row)
    for (const t of targets) {
      const present = t.collection.has(row.id)
      const belongs = t.belongs(row, present)
      if (present && belongs === false) t.collection.delete(row.id)
      else if (present) {
        t.collection.update(row.id, (draft) => {
          draft.type = row.type
          draft.value = row.value
          draft.validFrom = row.validFrom
          draft.clientId = row.clientId
        })
      } else if (belongs) t.collection.insert(row)
    }
  }
  const optimistic = (
    prev: EntityRow | undefined,
    id: string,
    type: string,
    value: JsonObject,
  ): EntityRow => ({
    id,
    type,
    value,
    version: prev?.version ?? 0,
    validFrom: Date.now(),
    validTo: END_OF_TIME,
    deleted: false,
    clientId,
    mutationId: null,
  })
  return {
    get: read,
    query({ type, where }) {
      const match = where === undefined ? () => true : compilePredicate(where as Filter)
      const seen = new Map<string, EntityRow>()
      for (const s of everyShape()) {
        for (const row of s.collection.values()) {
          if (!seen.has(row.id)) seen.set(row.id, stripVirtual(row as EntityRow))
        }
      }
      for (const [id, row] of overlay) {
        if (row) seen.set(id, row)
        else seen.delete(id)
      }
      return [...seen.values()].filter((r) => !r.deleted && r.type === type && match(r.value))
    },
    upsert({ id, type, value }) {
      const key = id.toLowerCase()
      write(optimistic(read(key), key, type, value))
    },
    patch({ id, value }) {
      const key = id.toLowerCase()
      const prev = read(key)
      // Not held locally: only the server knows the entity; its effect arrives with the poke.
      if (!prev) return
      write(optimistic(prev, key, prev.type, mergePatch(prev.value, value)))
    },
    delete({ id }) {
      const key = id.toLowerCase()
      overlay.set(key, null)
      for (const t of targets) if (t.collection.has(key)) t.collection.delete(key)
    },
  }
}

/** Per-edit options, passed as TanStack DB metadata: `collection.update(id, { metadata: { ifMatch: true } }, fn)`. */
export interface EditMetadata {
  /** Send the row's version as `ifMatch`: the server refuses the write (CONFLICT) if it changed meanwhile. */
  ifMatch?: boolean
}

/**
 * The server mutation for a collection transaction's edits (one built-in mutator for one edit, an
 * atomic `transaction` for several, undefined for none: the protocol's `mutationOfOps`). Inserts
 * create (`ifMatch: 0`); updates send a JSON Merge Patch of `value` (a `type` change is an upsert);
 * deletes delete.
 */
export function toServerMutation(
  mutations: ReadonlyArray<PendingMutation<EntityRow>>,
): MutationCall | undefined {
  const ops: PushedWriteOp[] = []
  for (const m of mutations) {
    const id = String(m.key)
    const meta = (isJsonObject(m.metadata) ? m.metadata : {}) as EditMetadata
    const original = m.original as Partial<EntityRow>
    const ifMatch = meta.ifMatch && typeof original.version === 'number' ? { ifMatch: original.version } : {}
    if (m.type === 'insert') {
      ops.push({ op: 'upsert', id, type: m.modified.type, value: m.modified.value, ifMatch: 0 })
    } else if (m.type === 'delete') {
      ops.push({ op: 'delete', id, ...ifMatch })
    } else if (original.type !== m.modified.type) {
      ops.push({ op: 'upsert', id, type: m.modified.type, value: m.modified.value, ...ifMatch })
    } else {
      const patch = diffMergePatch(original.value ?? {}, m.modified.value)
      if (patch) ops.push({ op: 'patch', id, value: patch, ...ifMatch })
    }
  }
  return mutationOfOps(ops)
}
