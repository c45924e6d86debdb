// Shapes on the server: the app's named, parameterized shapes and the built-in ones, resolved to a
// checked spec (types, filter, OrgTree subtree, projection) and the key that equal params share.
import {
  type ArgsSchema,
  BUILT_IN_SHAPES,
  builtInShapeSpec,
  type CompiledShape,
  checkShapeSpec,
  compileShape,
  describeIssues,
  isBuiltInShape,
  type ShapeSpec,
  shapeKey,
  validateSync,
} from '@lumenize/protocol'
import { invalidParams, unknownShape } from '../errors'

export type { ShapeSpec }

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
 *   types: ['Task'], under: p.node, where: { status: p.status } }), { params: v.object({ ... }) })
 */
export function defineShape<P>(
  name: string,
  build: (params: P) => ShapeSpec,
  options: { params?: ArgsSchema<P> } = {},
): ShapeDef {
  return options.params ? { name, build, params: options.params } : { name, build }
}

/** A shape with its params applied and checked. */
export interface ResolvedShape extends CompiledShape {
  key: string
  name: string
  params: Record<string, unknown>
}

/** The app's shapes and the built-in ones, by name. `isType` tells declared entity types. */
export class ShapeRegistry {
  private readonly defs = new Map<string, ShapeDef>()

  constructor(
    shapes: readonly ShapeDef[],
    private readonly isType: (type: string) => boolean,
  ) {
    for (const d of shapes) this.defs.set(d.name, d)
  }

  names(): string[] {
    return [...BUILT_IN_SHAPES, ...this.defs.keys()]
  }

  /** Applies params to a shape; refuses unknown shapes and invalid params with typed errors. */
  resolve(name: string, input: Record<string, unknown> = {}): ResolvedShape {
    const def = this.defs.get(name)
    if (!def && !isBuiltInShape(name)) throw unknownShape(name, this.names())
    let params: Record<string, unknown> = input
    if (def?.params) {
      const r = validateSync(def.params, input, `the params of shape ${name}`)
      if (!r.ok) throw invalidParams(name, describeIssues(r.issues))
      params = r.value as Record<string, unknown>
    }
    let spec: ShapeSpec
    try {
      spec = checkShapeSpec(def ? def.build(params as never) : builtInShapeSpec(name as never, params))
    } catch (err) {
      throw invalidParams(name, err instanceof Error ? err.message : String(err))
    }
    for (const t of spec.types ?? []) if (!this.isType(t)) throw invalidParams(name, `unknown type "${t}"`)
    return { key: shapeKey(name, params), name, params, ...compileShape(spec) }
  }
}
