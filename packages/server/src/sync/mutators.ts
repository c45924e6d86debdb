// Mutators on the server: the protocol's built-in ones and the app's custom ones, checked and run
// against a MutatorTx backed by one write batch, so a mutation's effects commit (or roll back) together.
import {
  BUILT_IN_MUTATORS,
  describeIssues,
  type MutatorTx,
  validateSync,
  type WriteOp,
} from '@lumenize/protocol'
import type { AnyMutatorDef } from '../config'
import { unknownMutator, validationError } from '../errors'
import type { Store } from '../storage/store'
import type { WriteBatch } from '../storage/write-batch'

/** The transaction interface of mutators, on the store. Reads see the mutation's own writes. */
export function serverTx(store: Store, batch: WriteBatch): MutatorTx {
  const apply = (op: WriteOp): void => {
    batch.apply(op)
  }
  return {
    get: (id) => store.get(id) ?? undefined,
    query: ({ type, where }) =>
      store.query({ type, ...(where === undefined ? {} : { where }), limit: 10_000 }).entities,
    upsert: (op) => apply({ op: 'upsert', ...op }),
    patch: (op) => apply({ op: 'patch', ...op }),
    delete: (op) => apply({ op: 'delete', ...op }),
  }
}

export class Mutators {
  private readonly defs: Readonly<Record<string, AnyMutatorDef>>

  constructor(custom: Readonly<Record<string, AnyMutatorDef>> = {}) {
    // defineConfig refuses custom mutators named like built-in ones.
    this.defs = { ...custom, ...(BUILT_IN_MUTATORS as Readonly<Record<string, AnyMutatorDef>>) }
  }

  /** Finds a mutator and checks its args; typed errors for an unknown name or bad args. */
  prepare(name: string, args: unknown): (tx: MutatorTx) => void {
    const def = Object.hasOwn(this.defs, name) ? this.defs[name] : undefined
    if (!def) throw unknownMutator(name, Object.keys(this.defs))
    const r = validateSync(def.args, args, `mutator ${name}`)
    if (!r.ok) {
      throw validationError(`Invalid args for ${name}: ${describeIssues(r.issues)}`, {
        name,
        issues: r.issues.map((i) => i.message),
      })
    }
    return (tx) => def.run(tx, r.value as never)
  }
}
