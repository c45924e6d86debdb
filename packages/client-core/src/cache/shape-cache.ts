// One shape's synced rows (the server's state at its cookie) and their layout in chunks of a few
// hundred rows, so that a poke rewrites only the chunks it touched.
import type { EntitySnapshot } from '@lumenize/protocol'
import type { ChunkRecord, ShapeRecord } from './db'
import type { ClientStore } from './store'

/** Rows per IndexedDB record. Reading 100 chunks of 1,000 rows takes ~0.2 s in Chromium. */
export const DEFAULT_ROWS_PER_CHUNK = 500

export class ShapeCache {
  /** The synced rows by id: what the server sent, never optimistic state. */
  readonly rows = new Map<string, EntitySnapshot>()
  cookie: number | undefined
  private readonly chunkOf = new Map<string, number>()
  private readonly chunks = new Map<number, Set<string>>()
  private readonly dirty = new Set<number>()
  private metaDirty = false
  private replaceNext = false
  private hint = 0
  private saving: Promise<void> = Promise.resolve()

  constructor(
    readonly shapeKey: string,
    readonly name: string,
    readonly params: Record<string, unknown>,
    private readonly rowsPerChunk = DEFAULT_ROWS_PER_CHUNK,
  ) {}

  /** Loads what the store holds; returns false when it holds nothing for this shape. */
  async load(store: ClientStore): Promise<boolean> {
    const stored = await store.loadShape(this.shapeKey)
    if (!stored) return false
    this.cookie = stored.shape.cookie
    for (const c of stored.chunks) {
      const ids = new Set<string>()
      for (const row of c.rows) {
        this.rows.set(row.id, row)
        this.chunkOf.set(row.id, c.chunk)
        ids.add(row.id)
      }
      this.chunks.set(c.chunk, ids)
    }
    return true
  }

  has(id: string): boolean {
    return this.rows.has(id)
  }

  put(row: EntitySnapshot): void {
    this.rows.set(row.id, row)
    let n = this.chunkOf.get(row.id)
    if (n === undefined) {
      n = this.openChunk()
      this.chunkOf.set(row.id, n)
      this.chunks.get(n)?.add(row.id)
    }
    this.dirty.add(n)
  }

  delete(id: string): void {
    if (!this.rows.delete(id)) return
    const n = this.chunkOf.get(id)
    this.chunkOf.delete(id)
    if (n === undefined) return
    this.chunks.get(n)?.delete(id)
    this.dirty.add(n)
    if (n < this.hint) this.hint = n
  }

  /** Drops every row (a re-seed follows). */
  clear(): void {
    for (const n of this.chunks.keys()) this.dirty.add(n)
    this.rows.clear()
    this.chunkOf.clear()
    for (const ids of this.chunks.values()) ids.clear()
    this.hint = 0
  }

  setCookie(cookie: number): void {
    if (this.cookie === cookie) return
    this.cookie = cookie
    this.metaDirty = true
  }

  /** Chunk numbers in use (for tests and diagnostics). */
  chunkSizes(): Map<number, number> {
    return new Map([...this.chunks].filter(([, ids]) => ids.size > 0).map(([n, ids]) => [n, ids.size]))
  }

  /** Every chunk is rewritten by the next save, and stored chunks it does not hold are dropped. */
  markAllDirty(): void {
    for (const n of this.chunks.keys()) this.dirty.add(n)
    this.metaDirty = true
    this.replaceNext = true
  }

  /**
   * Writes what changed since the last save, in one atomic store write. Saves run one after the other;
   * the returned promise settles when this one is done. A client that is not the cache writer keeps
   * its rows in memory only (`write` false): two tabs never write chunks of one shape.
   */
  save(store: ClientStore, write = true): Promise<void> {
    this.saving = this.saving.then(() => (write ? this.saveNow(store) : this.forget()))
    return this.saving
  }

  /** Settles when every save asked for so far is done. */
  idle(): Promise<void> {
    return this.saving
  }

  private async forget(): Promise<void> {
    this.dirty.clear()
    this.metaDirty = false
  }

  private async saveNow(store: ClientStore): Promise<void> {
    if (this.dirty.size === 0 && !this.metaDirty) return
    const put: ChunkRecord[] = []
    const drop: number[] = []
    for (const n of this.dirty) {
      const ids = this.chunks.get(n)
      if (!ids || ids.size === 0) {
        drop.push(n)
        this.chunks.delete(n)
        continue
      }
      const rows: EntitySnapshot[] = []
      for (const id of ids) {
        const row = this.rows.get(id)
        if (row) rows.push(row)
      }
      put.push({ shapeKey: this.shapeKey, chunk: n, rows })
    }
    const replace = this.replaceNext
    this.dirty.clear()
    this.metaDirty = false
    this.replaceNext = false
    const shape: ShapeRecord = {
      shapeKey: this.shapeKey,
      name: this.name,
      params: this.params,
      updatedAt: Date.now(),
      ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
    }
    await store.saveShape(shape, put, drop, replace)
  }

  /** The lowest chunk with room (from a hint that only moves down when a row leaves), or a new one. */
  private openChunk(): number {
    for (let n = this.hint; ; n++) {
      let ids = this.chunks.get(n)
      if (!ids) {
        ids = new Set()
        this.chunks.set(n, ids)
      }
      if (ids.size < this.rowsPerChunk) {
        this.hint = n
        return n
      }
    }
  }
}
