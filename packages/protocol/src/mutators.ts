// Mutators: named writes defined once in shared code, run optimistically on the client and
// authoritatively on the server against the same small, synchronous transaction interface.
import type { EntitySnapshot, JsonObject } from './entity'
import type { Filter } from './filter'

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

/**
 * A Standard Schema v1 validator (valibot, zod, arktype... all implement it). Lumenize validates
 * synchronously: a validator that returns a Promise is a configuration error.
 */
export interface StandardSchemaV1<T = unknown> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<T> | Promise<StandardResult<T>>
    readonly types?: { readonly input: unknown; readonly output: T } | undefined
  }
}
export type StandardResult<T> =
  | { readonly value: T; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<unknown> | undefined
      }>
    }

/** The schema of a mutator's args. */
export type ArgsSchema<T> = StandardSchemaV1<T>

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

/** Names of the mutators every star has: the entity writes of the store. */
export const BUILT_IN_MUTATORS = ['upsert', 'patch', 'delete', 'transaction'] as const
