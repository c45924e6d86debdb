// Where the client keeps what must survive a reload: meta (ids), each shape's chunks and cookie, and
// the pending queue. IndexedDB when it works, memory otherwise; a failing IndexedDB degrades to memory.
import { CacheWriteError, type LumenizeClientError } from '../errors'
import { type ChunkRecord, type LumenizeCache, openCache, type PendingRecord, type ShapeRecord } from './db'

/** A shape as stored: its record and its chunks. */
export interface StoredShape {
  shape: ShapeRecord
  chunks: ChunkRecord[]
}

/** The client's persistence. Writes never reject: a failure is reported and the store goes on in memory. */
export interface ClientStore {
  readonly kind: 'indexeddb' | 'memory'
  getMeta<T>(key: string): Promise<T | undefined>
  setMeta(key: string, value: unknown): Promise<void>
  loadShape(shapeKey: string): Promise<StoredShape | undefined>
  /** Writes changed chunks, drops emptied ones and updates the shape record, atomically. */
  saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[]): Promise<void>
  loadPending(): Promise<PendingRecord[]>
  /** Queues a mutation and records the last id handed out, atomically. */
  addPending(record: PendingRecord, lastMutationId: number): Promise<void>
  deletePending(ids: readonly number[]): Promise<void>
  close(): void
}

/** Keeps everything in maps: consistent while the client lives, gone after. */
export class MemoryStore implements ClientStore {
  readonly kind = 'memory' as const
  private readonly meta = new Map<string, unknown>()
  private readonly shapes = new Map<string, StoredShape>()
  private readonly pending = new Map<number, PendingRecord>()

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.meta.get(key) as T | undefined
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.meta.set(key, value)
  }

  async loadShape(shapeKey: string): Promise<StoredShape | undefined> {
    const s = this.shapes.get(shapeKey)
    return s && { shape: s.shape, chunks: [...s.chunks] }
  }

  async saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[]): Promise<void> {
    const old = this.shapes.get(shape.shapeKey)?.chunks ?? []
    const byChunk = new Map(old.map((c) => [c.chunk, c]))
    for (const n of drop) byChunk.delete(n)
    for (const c of put) byChunk.set(c.chunk, c)
    this.shapes.set(shape.shapeKey, {
      shape,
      chunks: [...byChunk.values()].sort((a, b) => a.chunk - b.chunk),
    })
  }

  async loadPending(): Promise<PendingRecord[]> {
    return [...this.pending.values()].sort((a, b) => a.id - b.id)
  }

  async addPending(record: PendingRecord, lastMutationId: number): Promise<void> {
    this.pending.set(record.id, record)
    this.meta.set('lastMutationId', lastMutationId)
  }

  async deletePending(ids: readonly number[]): Promise<void> {
    for (const id of ids) this.pending.delete(id)
  }

  close(): void {}
}

/** IndexedDB through idb. After the first failed write it reports once and continues in memory. */
export class IdbStore implements ClientStore {
  private fallback: MemoryStore | undefined

  constructor(
    private readonly db: LumenizeCache,
    private readonly onError: (error: LumenizeClientError) => void,
  ) {}

  get kind(): 'indexeddb' | 'memory' {
    return this.fallback ? 'memory' : 'indexeddb'
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.read(
      async () => (await this.db.get('meta', key)) as T | undefined,
      (m) => m.getMeta<T>(key),
    )
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.write(
      async () => {
        await this.db.put('meta', value, key)
      },
      (m) => m.setMeta(key, value),
    )
  }

  loadShape(shapeKey: string): Promise<StoredShape | undefined> {
    return this.read(
      async () => {
        const tx = this.db.transaction(['shapes', 'shapeChunks'], 'readonly')
        const [shape, chunks] = await Promise.all([
          tx.objectStore('shapes').get(shapeKey),
          tx.objectStore('shapeChunks').index('byShape').getAll(shapeKey),
        ])
        await tx.done
        return shape && { shape, chunks: chunks.sort((a, b) => a.chunk - b.chunk) }
      },
      (m) => m.loadShape(shapeKey),
    )
  }

  saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[]): Promise<void> {
    return this.write(
      async () => {
        const tx = this.db.transaction(['shapes', 'shapeChunks'], 'readwrite')
        const chunks = tx.objectStore('shapeChunks')
        for (const n of drop) void chunks.delete([shape.shapeKey, n])
        for (const c of put) void chunks.put(c)
        void tx.objectStore('shapes').put(shape)
        await tx.done
      },
      (m) => m.saveShape(shape, put, drop),
    )
  }

  loadPending(): Promise<PendingRecord[]> {
    return this.read(
      () => this.db.getAll('pending'),
      (m) => m.loadPending(),
    )
  }

  addPending(record: PendingRecord, lastMutationId: number): Promise<void> {
    return this.write(
      async () => {
        const tx = this.db.transaction(['pending', 'meta'], 'readwrite')
        void tx.objectStore('pending').put(record)
        void tx.objectStore('meta').put(lastMutationId, 'lastMutationId')
        await tx.done
      },
      (m) => m.addPending(record, lastMutationId),
    )
  }

  deletePending(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve()
    return this.write(
      async () => {
        const tx = this.db.transaction('pending', 'readwrite')
        for (const id of ids) void tx.store.delete(id)
        await tx.done
      },
      (m) => m.deletePending(ids),
    )
  }

  close(): void {
    this.db.close()
  }

  private async read<T>(idb: () => Promise<T>, memory: (m: MemoryStore) => Promise<T>): Promise<T> {
    if (this.fallback) return memory(this.fallback)
    try {
      return await idb()
    } catch (err) {
      this.degrade(err)
      return memory(this.fallback ?? new MemoryStore())
    }
  }

  private async write(idb: () => Promise<void>, memory: (m: MemoryStore) => Promise<void>): Promise<void> {
    if (this.fallback) return memory(this.fallback)
    try {
      await idb()
    } catch (err) {
      this.degrade(err)
      if (this.fallback) await memory(this.fallback)
    }
  }

  private degrade(err: unknown): void {
    if (this.fallback) return
    this.fallback = new MemoryStore()
    this.onError(new CacheWriteError(err))
  }
}

/**
 * Opens the client's store. With 'indexeddb', falls back to memory (reporting the reason) when
 * IndexedDB is missing or refuses to open.
 */
export async function openStore(
  persistence: 'indexeddb' | 'memory',
  star: string,
  name: string,
  onError: (error: LumenizeClientError) => void,
): Promise<ClientStore> {
  if (persistence === 'memory') return new MemoryStore()
  try {
    return new IdbStore(await openCache(star, name), onError)
  } catch (err) {
    onError(err as LumenizeClientError)
    return new MemoryStore()
  }
}
