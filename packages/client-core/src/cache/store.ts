// Where the client keeps what must survive a reload: meta (the group id, last sync), each shape's
// chunks and cookie, every client's pending queue, local rows. IndexedDB when it works, memory
// otherwise; a failing IndexedDB degrades to memory.
import { CacheUnavailableError, CacheWriteError, type LumenizeClientError } from '../errors'
import {
  type ChunkRecord,
  type LocalRowRecord,
  type LumenizeCache,
  openCache,
  type PendingRecord,
  type ShapeRecord,
} from './db'

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
  /** The stored value of `key`, or `make()` stored atomically when there is none (first writer wins). */
  getOrCreateMeta<T>(key: string, make: () => T): Promise<T>
  loadShape(shapeKey: string): Promise<StoredShape | undefined>
  /**
   * Writes changed chunks, drops emptied ones and updates the shape record, atomically. With
   * `replace`, every stored chunk of the shape goes first (a new cache writer's full rewrite).
   */
  saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[], replace?: boolean): Promise<void>
  /** The ids of the clients with queued mutations. */
  pendingClients(): Promise<string[]>
  /** One client's queued mutations, in id order. */
  loadPending(clientId: string): Promise<PendingRecord[]>
  /** Stores queued mutations, in one transaction. */
  addPending(records: readonly PendingRecord[]): Promise<void>
  deletePending(clientId: string, ids: readonly number[]): Promise<void>
  loadLocal(collection: string): Promise<LocalRowRecord[]>
  saveLocal(collection: string, put: LocalRowRecord[], drop: readonly string[]): Promise<void>
  close(): void
}

const sortChunks = (chunks: ChunkRecord[]): ChunkRecord[] => chunks.sort((a, b) => a.chunk - b.chunk)

/** Keeps everything in maps: consistent while the client lives, gone after. */
export class MemoryStore implements ClientStore {
  readonly kind = 'memory' as const
  private readonly meta = new Map<string, unknown>()
  private readonly shapes = new Map<string, StoredShape>()
  private readonly pending = new Map<string, Map<number, PendingRecord>>()
  private readonly local = new Map<string, Map<string, LocalRowRecord>>()

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.meta.get(key) as T | undefined
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.meta.set(key, value)
  }

  async getOrCreateMeta<T>(key: string, make: () => T): Promise<T> {
    if (!this.meta.has(key)) this.meta.set(key, make())
    return this.meta.get(key) as T
  }

  async loadShape(shapeKey: string): Promise<StoredShape | undefined> {
    const s = this.shapes.get(shapeKey)
    return s && { shape: s.shape, chunks: [...s.chunks] }
  }

  async saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[], replace = false): Promise<void> {
    const old = replace ? [] : (this.shapes.get(shape.shapeKey)?.chunks ?? [])
    const byChunk = new Map(old.map((c) => [c.chunk, c]))
    for (const n of drop) byChunk.delete(n)
    for (const c of put) byChunk.set(c.chunk, c)
    this.shapes.set(shape.shapeKey, { shape, chunks: sortChunks([...byChunk.values()]) })
  }

  async pendingClients(): Promise<string[]> {
    return [...this.pending].filter(([, m]) => m.size > 0).map(([cid]) => cid)
  }

  async loadPending(clientId: string): Promise<PendingRecord[]> {
    return [...(this.pending.get(clientId)?.values() ?? [])].sort((a, b) => a.id - b.id)
  }

  async addPending(records: readonly PendingRecord[]): Promise<void> {
    for (const record of records) {
      const mine = this.pending.get(record.clientId) ?? new Map<number, PendingRecord>()
      this.pending.set(record.clientId, mine)
      mine.set(record.id, record)
    }
  }

  async deletePending(clientId: string, ids: readonly number[]): Promise<void> {
    const mine = this.pending.get(clientId)
    for (const id of ids) mine?.delete(id)
  }

  async loadLocal(collection: string): Promise<LocalRowRecord[]> {
    return [...(this.local.get(collection)?.values() ?? [])]
  }

  async saveLocal(collection: string, put: LocalRowRecord[], drop: readonly string[]): Promise<void> {
    const rows = this.local.get(collection) ?? new Map<string, LocalRowRecord>()
    this.local.set(collection, rows)
    for (const id of drop) rows.delete(id)
    for (const r of put) rows.set(r.id, r)
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

  getOrCreateMeta<T>(key: string, make: () => T): Promise<T> {
    return this.read(
      async () => {
        // One readwrite transaction: two tabs starting together agree on the first value.
        const tx = this.db.transaction('meta', 'readwrite')
        let value = (await tx.store.get(key)) as T | undefined
        if (value === undefined) {
          value = make()
          await tx.store.put(value, key)
        }
        await tx.done
        return value
      },
      (m) => m.getOrCreateMeta(key, make),
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
        return shape && { shape, chunks: sortChunks(chunks) }
      },
      (m) => m.loadShape(shapeKey),
    )
  }

  saveShape(shape: ShapeRecord, put: ChunkRecord[], drop: number[], replace = false): Promise<void> {
    return this.write(
      async () => {
        const tx = this.db.transaction(['shapes', 'shapeChunks'], 'readwrite')
        const chunks = tx.objectStore('shapeChunks')
        if (replace)
          void chunks.delete(IDBKeyRange.bound([shape.shapeKey, -Infinity], [shape.shapeKey, Infinity]))
        for (const n of drop) void chunks.delete([shape.shapeKey, n])
        for (const c of put) void chunks.put(c)
        void tx.objectStore('shapes').put(shape)
        await tx.done
      },
      (m) => m.saveShape(shape, put, drop, replace),
    )
  }

  pendingClients(): Promise<string[]> {
    return this.read(
      async () => {
        const keys = await this.db.getAllKeys('pending')
        return [...new Set(keys.map(([cid]) => cid))]
      },
      (m) => m.pendingClients(),
    )
  }

  loadPending(clientId: string): Promise<PendingRecord[]> {
    return this.read(
      async () =>
        (await this.db.getAllFromIndex('pending', 'byClient', clientId)).sort((a, b) => a.id - b.id),
      (m) => m.loadPending(clientId),
    )
  }

  addPending(records: readonly PendingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    return this.write(
      async () => {
        const tx = this.db.transaction('pending', 'readwrite')
        for (const r of records) void tx.store.put(r)
        await tx.done
      },
      (m) => m.addPending(records),
    )
  }

  deletePending(clientId: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve()
    return this.write(
      async () => {
        const tx = this.db.transaction('pending', 'readwrite')
        for (const id of ids) void tx.store.delete([clientId, id])
        await tx.done
      },
      (m) => m.deletePending(clientId, ids),
    )
  }

  loadLocal(collection: string): Promise<LocalRowRecord[]> {
    return this.read(
      () => this.db.getAllFromIndex('localRows', 'byCollection', collection),
      (m) => m.loadLocal(collection),
    )
  }

  saveLocal(collection: string, put: LocalRowRecord[], drop: readonly string[]): Promise<void> {
    if (put.length === 0 && drop.length === 0) return Promise.resolve()
    return this.write(
      async () => {
        const tx = this.db.transaction('localRows', 'readwrite')
        for (const id of drop) void tx.store.delete([collection, id])
        for (const r of put) void tx.store.put(r)
        await tx.done
      },
      (m) => m.saveLocal(collection, put, drop),
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
    return new IdbStore(await openCache(star, name, onError), onError)
  } catch (err) {
    onError(err instanceof CacheUnavailableError ? err : new CacheUnavailableError(err))
    return new MemoryStore()
  }
}
