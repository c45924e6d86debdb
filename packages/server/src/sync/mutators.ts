// Mutators on the server: the built-in entity writes and the app's custom ones, run against a
// MutatorTx backed by one write batch, so a mutation's effects commit (or roll back) together.
import {
  DeleteOpSchema,
  EntityIdSchema,
  ErrorKind,
  type JsonObject,
  type MutatorTx,
  PatchOpSchema,
  type WriteOp,
} from '@lumenize/protocol'
import * as v from 'valibot'
import type { AnyMutatorDef } from '../config'
import { LumenizeError } from '../errors'
import type { Store } from '../storage/store'
import type { WriteBatch } from '../storage/write-batch'

// Pushed upserts must name their id: the client chose it for its optimistic row.
const PushedUpsert = v.strictObject({
  op: v.literal('upsert'),
  id: EntityIdSchema,
  type: v.string(),
  value: v.custom<JsonObject>(
    (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
    'must be a JSON object',
  ),
  ifMatch: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
})
const PushedOp = v.variant('op', [PushedUpsert, PatchOpSchema, DeleteOpSchema])

type PushedOp = v.InferOutput<typeof PushedOp>

/** Applies one pushed op through the mutator interface (dropping `op` and unset ifMatch). */
function applyOp(tx: MutatorTx, op: PushedOp): void {
  const ifMatch = op.ifMatch === undefined ? {} : { ifMatch: op.ifMatch }
  if (op.op === 'upsert') tx.upsert({ id: op.id, type: op.type, value: op.value, ...ifMatch })
  else if (op.op === 'patch') tx.patch({ id: op.id, value: op.value, ...ifMatch })
  else tx.delete({ id: op.id, ...ifMatch })
}

const BUILT_IN: Record<string, AnyMutatorDef> = {
  upsert: {
    args: v.omit(PushedUpsert, ['op']),
    run: (tx, a: Omit<v.InferOutput<typeof PushedUpsert>, 'op'>) => applyOp(tx, { op: 'upsert', ...a }),
  },
  patch: {
    args: v.omit(PatchOpSchema, ['op']),
    run: (tx, a: Omit<v.InferOutput<typeof PatchOpSchema>, 'op'>) => applyOp(tx, { op: 'patch', ...a }),
  },
  delete: {
    args: v.omit(DeleteOpSchema, ['op']),
    run: (tx, a: Omit<v.InferOutput<typeof DeleteOpSchema>, 'op'>) => applyOp(tx, { op: 'delete', ...a }),
  },
  transaction: {
    args: v.strictObject({ ops: v.pipe(v.array(PushedOp), v.minLength(1), v.maxLength(1000)) }),
    run: (tx, a: { ops: PushedOp[] }) => {
      for (const op of a.ops) applyOp(tx, op)
    },
  },
}

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
  private readonly defs: Record<string, AnyMutatorDef>

  constructor(custom: Readonly<Record<string, AnyMutatorDef>> = {}) {
    this.defs = { ...custom, ...BUILT_IN }
  }

  /** Finds a mutator and checks its args; typed errors for an unknown name or bad args. */
  prepare(name: string, args: unknown): (tx: MutatorTx) => void {
    const def = Object.hasOwn(this.defs, name) ? this.defs[name] : undefined
    if (!def) {
      throw new LumenizeError(ErrorKind.unknownMutator, `Unknown mutator "${name}"`, {
        name,
        known: Object.keys(this.defs),
      })
    }
    const r = def.args['~standard'].validate(args)
    if (r instanceof Promise) throw new Error(`The args schema of mutator ${name} is async`)
    if (r.issues) {
      throw new LumenizeError(
        ErrorKind.validation,
        `Invalid args for ${name}: ${r.issues.map((i) => i.message).join('; ')}`,
        {
          name,
          issues: r.issues.map((i) => i.message),
        },
      )
    }
    return (tx) => def.run(tx, r.value as never)
  }
}
