// The star's JSON-RPC methods: every store and OrgTree operation by name, with typed params.
import {
  END_OF_TIME,
  type EntitySnapshot,
  type Filter,
  type JsonObject,
  ORG_NODE_TYPE,
  type StarHealth,
  validateFilter,
  type WriteOp,
} from '@lumenize/protocol'
import type * as v from 'valibot'
import { testHookOnly, typeMismatch } from '../errors'
import type { Store } from '../storage/store'
import { ParamSchemas as P } from './params'

/** What every method runs against. */
export interface RpcContext {
  store: Store
  health: () => StarHealth
  trimOpLog: (keepLast?: number) => { trimmedThrough: number }
  /** Only with LUMENIZE_TEST_HOOKS=1: an id that changes whenever the object is evicted and rebuilt. */
  instance: string | undefined
}

/** One method: its params schema (named params, in positional order) and what it does. */
export interface StarMethod<S extends v.GenericSchema = v.GenericSchema> {
  summary: string
  params: S
  paramNames: readonly string[]
  result: string
  run: (params: v.InferOutput<S>, ctx: RpcContext) => unknown
}

/** A method of any params type, as the table holds them (its run takes what its schema parsed). */
export interface AnyStarMethod {
  summary: string
  params: v.GenericSchema
  paramNames: readonly string[]
  result: string
  run: (params: never, ctx: RpcContext) => unknown
}

function method<
  S extends v.ObjectSchema<v.ObjectEntries, undefined> | v.StrictObjectSchema<v.ObjectEntries, undefined>,
>(
  summary: string,
  params: S,
  result: string,
  run: (params: v.InferOutput<S>, ctx: RpcContext) => unknown,
): StarMethod<S> {
  return { summary, params, paramNames: Object.keys(params.entries), result, run }
}

/** Applies ops atomically, as one write batch of one transaction; returns a snapshot per op. */
const apply = (store: Store, ops: readonly WriteOp[]): EntitySnapshot[] =>
  store.transaction((tx) => tx.write({}, (batch) => ops.map((op) => batch.apply(op))))
const one = (store: Store, op: WriteOp): EntitySnapshot => apply(store, [op])[0]!
const node = (s: EntitySnapshot): JsonObject => s.value

/** Refuses OrgTree operations on an entity of another type (a missing one is left to the write: NOT_FOUND). */
function requireOrgNodes(store: Store, ...ids: string[]): void {
  for (const id of ids) {
    const n = store.get(id)
    if (n && n.type !== ORG_NODE_TYPE) {
      throw typeMismatch(id, n.type, ORG_NODE_TYPE)
    }
  }
}

/** Every public method of the star, by JSON-RPC name. */
export const STAR_METHODS = {
  get: method(
    'The entity now, or as of an instant; null if absent or deleted then.',
    P.get,
    'EntitySnapshot | null',
    (p, { store }) => store.get(p.id, p.asOf),
  ),
  upsert: method(
    'Creates or replaces an entity (a new snapshot). Omit id to create one; ifMatch 0 = must not exist.',
    P.upsert,
    'EntitySnapshot',
    (p, { store }) => one(store, { op: 'upsert', ...p }),
  ),
  patch: method(
    'Merges a JSON Merge Patch into the current value.',
    P.patch,
    'EntitySnapshot',
    (p, { store }) => one(store, { op: 'patch', ...p, value: p.value as JsonObject }),
  ),
  delete: method(
    'Deletes an entity (a tombstone snapshot; history keeps it).',
    P.delete,
    'EntitySnapshot',
    (p, { store }) => one(store, { op: 'delete', ...p }),
  ),
  transaction: method(
    'Applies mixed upsert/patch/delete ops atomically; any failure (e.g. a stale ifMatch) changes nothing.',
    P.transaction,
    '{ snapshots: EntitySnapshot[] }',
    (p, { store }) => ({ snapshots: apply(store, p.ops) }),
  ),
  history: method(
    'Every snapshot of an entity overlapping [from, to), oldest first, tombstones included.',
    P.history,
    'EntitySnapshot[]',
    (p, { store }) => store.history(p.id, p.from ?? 0, p.to ?? END_OF_TIME),
  ),
  query: method(
    'Entities by type, filter and OrgTree subtree, now or as of an instant.',
    P.query,
    '{ entities: EntitySnapshot[], hasMore: boolean }',
    (p, { store }) => {
      const where: Filter | undefined = p.where === undefined ? undefined : validateFilter(p.where)
      return store.query({
        ...(p.type === undefined ? {} : { type: p.type }),
        ...(where === undefined ? {} : { where }),
        ...(p.under === undefined ? {} : { under: p.under }),
        ...(p.asOf === undefined ? {} : { asOf: p.asOf }),
        ...(p.limit === undefined ? {} : { limit: p.limit }),
        ...(p.offset === undefined ? {} : { offset: p.offset }),
        ...(p.orderBy === undefined
          ? {}
          : {
              orderBy: p.orderBy.map((o) =>
                o.direction ? { field: o.field, direction: o.direction } : { field: o.field },
              ),
            }),
      })
    },
  ),
  changes: method(
    'Every committed change with from <= at < to, in commit order.',
    P.changes,
    '{ changes: Change[], hasMore: boolean }',
    (p, { store }) => store.changes(p.from, p.to ?? END_OF_TIME, p.limit),
  ),
  'orgTree.root': method('The OrgTree root node.', P.none, 'EntitySnapshot', (_p, { store }) =>
    store.get(store.rootId()),
  ),
  'orgTree.tree': method(
    'The whole OrgTree (nodes and parent -> child edges), now or as of an instant.',
    P.asOfOnly,
    '{ root: string, nodes: EntitySnapshot[], edges: { parent, child }[] }',
    (p, { store }) => store.tree(p.asOf),
  ),
  'orgTree.addNode': method(
    'Creates an OrgNode under a parent, in one transaction.',
    P.addNode,
    'EntitySnapshot (the new node)',
    (p, { store }) => {
      requireOrgNodes(store, p.parent)
      const id = p.id ?? crypto.randomUUID()
      const value = { ...(p.fields as JsonObject | undefined), slug: p.slug, name: p.name, children: {} }
      const snapshots = apply(store, [
        { op: 'upsert', id, type: ORG_NODE_TYPE, value, ifMatch: 0 },
        { op: 'patch', id: p.parent, value: { children: { [id]: (p.edge ?? {}) as JsonObject } } },
      ])
      return snapshots[0]
    },
  ),
  'orgTree.addEdge': method(
    'Adds a parent -> child edge (a node may have several parents). Cycles are refused.',
    P.addEdge,
    'EntitySnapshot (the parent)',
    (p, { store }) => {
      requireOrgNodes(store, p.parent)
      return one(store, {
        op: 'patch',
        id: p.parent,
        value: { children: { [p.child]: (p.edge ?? {}) as JsonObject } },
      })
    },
  ),
  'orgTree.removeEdge': method(
    "Removes a parent -> child edge; refused if it was the child's last parent.",
    P.removeEdge,
    'EntitySnapshot (the parent)',
    (p, { store }) => {
      requireOrgNodes(store, p.parent)
      return one(store, { op: 'patch', id: p.parent, value: { children: { [p.child]: null } } })
    },
  ),
  'orgTree.move': method(
    'Moves a node from one parent to another atomically, keeping its edge metadata unless given.',
    P.move,
    '{ from: EntitySnapshot, to: EntitySnapshot }',
    (p, { store }) => {
      requireOrgNodes(store, p.from, p.to)
      const from = store.get(p.from)
      const kids = from ? (node(from).children as JsonObject | undefined) : undefined
      const meta = (p.edge as JsonObject | undefined) ?? (kids?.[p.node] as JsonObject | undefined) ?? {}
      const snapshots = apply(store, [
        { op: 'patch', id: p.from, value: { children: { [p.node]: null } } },
        { op: 'patch', id: p.to, value: { children: { [p.node]: meta } } },
      ])
      return { from: snapshots[0], to: snapshots[1] }
    },
  ),
  'orgTree.deleteNode': method(
    'Deletes a leaf OrgNode (no children, nothing attached) and its parent edges.',
    P.deleteNode,
    'EntitySnapshot (the tombstone)',
    (p, { store }) => {
      requireOrgNodes(store, p.id)
      return one(store, { op: 'delete', id: p.id })
    },
  ),
  'orgTree.ancestors': method(
    'Every node above a node, up to the root.',
    P.node,
    'EntitySnapshot[]',
    (p, { store }) => store.ancestors(p.id, p.asOf),
  ),
  'orgTree.descendants': method(
    'Every node below a node (each once).',
    P.node,
    'EntitySnapshot[]',
    (p, { store }) => store.descendants(p.id, p.asOf),
  ),
  'star.health': method('The star id, op-log seq and open sockets.', P.none, 'StarHealth', (_p, { health }) =>
    health(),
  ),
  'star.trimOpLog': method(
    'Drops op-log entries beyond retention now (or all but the last keepLast). Older cookies then re-seed.',
    P.trim,
    '{ trimmedThrough: number }',
    (p, { trimOpLog }) => trimOpLog(p.keepLast),
  ),
  'star.instance': method(
    'Test hook (LUMENIZE_TEST_HOOKS=1 only): an id of this in-memory instance; it changes after eviction.',
    P.none,
    '{ instance: string }',
    (_p, { instance }) => {
      if (!instance) throw testHookOnly('star.instance')
      return { instance }
    },
  ),
  'star.explain': method(
    "Test hook (LUMENIZE_TEST_HOOKS=1 only): SQLite's query plan for a query, to check index use.",
    P.query,
    'string[]',
    (p, { store, instance }) => {
      if (!instance) throw testHookOnly('star.explain')
      const where: Filter | undefined = p.where === undefined ? undefined : validateFilter(p.where)
      return store.explain({
        ...(p.type === undefined ? {} : { type: p.type }),
        ...(where === undefined ? {} : { where }),
      })
    },
  ),
  'star.types': method(
    'The entity types of this star and their indexes, unique fields and references.',
    P.none,
    'TypeInfo[]',
    (_p, { store }) => store.types.describe(),
  ),
} satisfies Record<string, AnyStarMethod>
