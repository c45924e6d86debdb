// Mutators: named writes defined once in shared code, run optimistically on the client and
// authoritatively on the server against the same small, synchronous transaction interface. The
// built-in ones are defined here too, with how a list of entity writes maps to one mutation.
import * as v from 'valibot'
import {
  DeleteOpSchema,
  type EntitySnapshot,
  IfMatchSchema,
  type JsonObject,
  JsonObjectSchema,
  PatchOpSchema,
  TypeNameSchema,
} from './entity'
import type { Filter } from './filter'
import { EntityIdSchema } from './ids'
import { describeIssues, type StandardSchemaV1, validateSync } from './standard-schema'

/** What a mutator may do. The server implements it on its store; the client on its collections. */
export interface MutatorTx {
  /** The entity now (as this transaction sees it), or undefined if absent or deleted. */
  get(id: string): EntitySnapshot | undefined
  /** Entities of a type matching a filter, as this transaction sees them. */
  query(q: { type: string; where?: Filter }): EntitySnapshot[]
  /** Ids must be chosen by the caller (e.g. `crypto.randomUUID()` in the args) so both sides agree. */
  upsert(op: { id: string; type: string; value: JsonObject; ifMatch?: number }): void
  patch(op: { id: string; value: JsonObject; ifMatch?: number }): void
  delete(op: { id: string; ifMatch?: number }): void
}

/** The schema of a mutator's args: any Standard Schema whose output is `T`. */
export type ArgsSchema<T> = StandardSchemaV1<unknown, T>

/** One mutator: validated args and the writes it makes. */
export interface MutatorDef<Args = unknown> {
  args: ArgsSchema<Args>
  run: (tx: MutatorTx, args: Args) => void
}

/**
 * Declares a mutator; `Args` is inferred from the schema.
 *
 * @example
 * const addTask = defineMutator(v.object({ id: v.string(), title: v.string() }), (tx, a) =>
 *   tx.upsert({ id: a.id, type: 'Task', value: { title: a.title }, ifMatch: 0 }))
 */
export function defineMutator<Args>(
  args: ArgsSchema<Args>,
  run: (tx: MutatorTx, args: Args) => void,
): MutatorDef<Args> {
  return { args, run }
}

/**
 * A pushed upsert names its id: the client chose it for its optimistic row, and both sides must
 * agree on it (unlike JSON-RPC's upsert, which may leave the id to the server).
 */
export const PushedUpsertOpSchema = v.strictObject({
  op: v.literal('upsert'),
  id: EntityIdSchema,
  type: TypeNameSchema,
  value: JsonObjectSchema,
  ifMatch: v.optional(IfMatchSchema),
})

/** One op of a pushed `transaction`. */
export const PushedWriteOpSchema = v.variant('op', [PushedUpsertOpSchema, PatchOpSchema, DeleteOpSchema])
export type PushedWriteOp = v.InferOutput<typeof PushedWriteOpSchema>

/** At most this many ops in one `transaction` mutation (and one JSON-RPC `transaction`). */
export const MAX_TRANSACTION_OPS = 1000

const argsOf = <S extends v.StrictObjectSchema<v.ObjectEntries, undefined>>(schema: S) =>
  v.omit(schema, ['op'])

/** Applies one write op through the mutator interface (dropping `op` and an unset ifMatch). */
export function applyWriteOp(tx: MutatorTx, op: PushedWriteOp): void {
  const ifMatch = op.ifMatch === undefined ? {} : { ifMatch: op.ifMatch }
  if (op.op === 'upsert') tx.upsert({ id: op.id, type: op.type, value: op.value, ...ifMatch })
  else if (op.op === 'patch') tx.patch({ id: op.id, value: op.value, ...ifMatch })
  else tx.delete({ id: op.id, ...ifMatch })
}

/** The mutators every star has: the entity writes of the store, and several of them atomically. */
export const BUILT_IN_MUTATORS = {
  upsert: defineMutator(argsOf(PushedUpsertOpSchema), (tx, a) => applyWriteOp(tx, { op: 'upsert', ...a })),
  patch: defineMutator(argsOf(PatchOpSchema), (tx, a) => applyWriteOp(tx, { op: 'patch', ...a })),
  delete: defineMutator(argsOf(DeleteOpSchema), (tx, a) => applyWriteOp(tx, { op: 'delete', ...a })),
  transaction: defineMutator(
    v.strictObject({
      ops: v.pipe(v.array(PushedWriteOpSchema), v.minLength(1), v.maxLength(MAX_TRANSACTION_OPS)),
    }),
    (tx, a) => {
      for (const op of a.ops) applyWriteOp(tx, op)
    },
  ),
} as const

export type BuiltInMutatorName = keyof typeof BUILT_IN_MUTATORS

/** Whether a mutator name is taken by a built-in mutator (an app may not redefine one). */
export function isBuiltInMutator(name: string): name is BuiltInMutatorName {
  return Object.hasOwn(BUILT_IN_MUTATORS, name)
}

/** A mutation as it is pushed, before the client numbers it. */
export interface MutationCall {
  name: BuiltInMutatorName
  args: Record<string, unknown>
}

/**
 * The one mutation that makes a list of entity writes: the built-in mutator of the op for a single
 * op, an atomic `transaction` for several, undefined for none. Upserts must carry their ids.
 *
 * @example mutationOfOps([{ op: 'delete', id }]) // { name: 'delete', args: { id } }
 */
export function mutationOfOps(ops: readonly PushedWriteOp[]): MutationCall | undefined {
  const [first] = ops
  if (first === undefined) return undefined
  if (ops.length > 1) return { name: 'transaction', args: { ops: [...ops] } }
  const { op, ...args } = first
  return { name: op, args }
}

/** The entity writes a built-in mutation makes, in order (the inverse of `mutationOfOps`). */
export function opsOfMutation(name: BuiltInMutatorName, args: unknown): PushedWriteOp[] {
  const ops: PushedWriteOp[] = []
  const recorder: MutatorTx = {
    get: () => undefined,
    query: () => [],
    upsert: (op) => ops.push({ op: 'upsert', ...op }),
    patch: (op) => ops.push({ op: 'patch', ...op }),
    delete: (op) => ops.push({ op: 'delete', ...op }),
  }
  const def = BUILT_IN_MUTATORS[name] as MutatorDef<unknown>
  const checked = validateSync(def.args, args, `mutator ${name}`)
  if (!checked.ok) throw new TypeError(`Invalid args for ${name}: ${describeIssues(checked.issues)}`)
  def.run(recorder, checked.value)
  return ops
}
