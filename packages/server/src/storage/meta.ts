// The star's small named values in the `meta` table: which star it is, its OrgTree root, and the
// sync engine's progress (last poked seq, op-log trim point), so they survive eviction.

/** Every key of the meta table. */
export const META = {
  starId: 'star_id',
  rootId: 'root_id',
  /** The op-log seq up to which every subscriber has been poked. */
  pokedSeq: 'poked_seq',
  /** Op-log entries up to this seq are trimmed: older cookies get a full seed. */
  trimmedThrough: 'trimmed_through',
} as const

export type MetaKey = (typeof META)[keyof typeof META]

export class Meta {
  constructor(private readonly sql: SqlStorage) {}

  get(key: MetaKey): string | undefined {
    return this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value
  }

  getNumber(key: MetaKey): number | undefined {
    const value = this.get(key)
    return value === undefined ? undefined : Number(value)
  }

  set(key: MetaKey, value: string | number): void {
    this.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, String(value))
  }
}
