// Shapes: named, parameterized partial replications. A shape resolves to a spec (types, filter,
// OrgTree subtree, projection) and a key shared by every subscription with equal params.
import {
  type ArgsSchema,
  compilePredicate,
  ErrorKind,
  type Filter,
  FilterError,
  ORG_NODE_TYPE,
  validateFilter,
} from '@lumenize/protocol'
import { LumenizeError } from '../errors'
import type { TypeRegistry } from '../storage/type-registry'
import { stableJson } from './stable-json'

/** What a shape replicates. All parts are optional; an empty spec is every entity of the star. */
export interface ShapeSpec {
  types?: readonly string[]
  where?: Filter
  /** An OrgNode id: only OrgNodes of its subtree and entities attached to them. */
  under?: string
  /** Top-level fields of `value` to send (all when omitted). */
  fields?: readonly string[]
}

/** A declared shape. */
export interface ShapeDef {
  name: string
  params?: ArgsSchema<unknown>
  build: (params: never) => ShapeSpec
}

/**
 * Declares a shape clients subscribe to by name and params.
 *
 * @example
 * defineShape('tasksUnder', (p: { node: string; status: string }) => ({
 *   types: ['Task'], under: p.node, where: { status: p.status } }))
 */
export function defineShape<P>(
  name: string,
  build: (params: P) => ShapeSpec,
  options: { params?: ArgsSchema<P> } = {},
): ShapeDef {
  return options.params ? { name, build, params: options.params } : { name, build }
}

/** A shape with its params applied and checked. */
export interface ResolvedShape {
  key: string
  name: string
  params: Record<string, unknown>
  spec: ShapeSpec
  predicate: (value: unknown) => boolean
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const BUILT_IN: readonly ShapeDef[] = [
  defineShape('entities', (p: { type?: unknown; where?: unknown; under?: unknown }) => {
    for (const k of Object.keys(p)) {
      if (!['type', 'where', 'under'].includes(k))
        throw new Error(`unknown param "${k}" (use type, where, under)`)
    }
    const spec: ShapeSpec = {}
    if (p.type !== undefined) {
      if (typeof p.type !== 'string') throw new Error('type must be a string')
      spec.types = [p.type]
    }
    if (p.where !== undefined) spec.where = p.where as Filter
    if (p.under !== undefined) spec.under = p.under as string
    return spec
  }),
  defineShape('orgTree', (p: { root?: unknown }) => {
    for (const k of Object.keys(p)) if (k !== 'root') throw new Error(`unknown param "${k}" (use root)`)
    return p.root === undefined
      ? { types: [ORG_NODE_TYPE] }
      : { types: [ORG_NODE_TYPE], under: p.root as string }
  }),
]

const invalid = (name: string, message: string): LumenizeError =>
  new LumenizeError(ErrorKind.invalidParams, `Invalid params for shape ${name}: ${message}`, { shape: name })

export class ShapeRegistry {
  private readonly defs = new Map<string, ShapeDef>()

  constructor(
    shapes: readonly ShapeDef[],
    private readonly types: TypeRegistry,
  ) {
    for (const d of [...BUILT_IN, ...shapes]) this.defs.set(d.name, d)
  }

  names(): string[] {
    return [...this.defs.keys()]
  }

  /** Applies params to a shape; refuses unknown shapes and invalid params with typed errors. */
  resolve(name: string, input: Record<string, unknown> = {}): ResolvedShape {
    const def = this.defs.get(name)
    if (!def) {
      throw new LumenizeError(ErrorKind.unknownShape, `Unknown shape "${name}"`, {
        shape: name,
        known: this.names(),
      })
    }
    let params: Record<string, unknown> = input
    if (def.params) {
      const r = def.params['~standard'].validate(input)
      if (r instanceof Promise) throw new Error(`The params schema of shape ${name} is async`)
      if (r.issues) throw invalid(name, r.issues.map((i) => i.message).join('; '))
      params = r.value as Record<string, unknown>
    }
    let spec: ShapeSpec
    try {
      spec = def.build(params as never)
    } catch (err) {
      throw invalid(name, err instanceof Error ? err.message : String(err))
    }
    for (const t of spec.types ?? []) {
      try {
        this.types.get(t)
      } catch {
        throw invalid(name, `unknown type "${t}"`)
      }
    }
    if (spec.under !== undefined && (typeof spec.under !== 'string' || !UUID_RE.test(spec.under))) {
      throw invalid(name, 'under must be an OrgNode id')
    }
    let where: Filter | undefined
    try {
      where = spec.where === undefined ? undefined : validateFilter(spec.where)
    } catch (err) {
      if (err instanceof FilterError) throw invalid(name, err.message)
      throw err
    }
    const checked: ShapeSpec = { ...spec, ...(where === undefined ? {} : { where }) }
    return {
      key: `${name}:${stableJson(params)}`,
      name,
      params,
      spec: checked,
      predicate: where === undefined ? () => true : compilePredicate(where),
    }
  }
}
