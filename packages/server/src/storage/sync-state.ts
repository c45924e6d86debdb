// The sync engine's own rows: each client's watermark (last applied mutation id) and each socket's
// subscriptions. Kept in SQLite so that both survive hibernation; sync keeps only indexes in memory.

export interface Watermark {
  /** The client group the client belongs to (fixed by its first connect or push). */
  gid: string
  /** The last mutation id applied. */
  lmid: number
}

export class Watermarks {
  constructor(private readonly sql: SqlStorage) {}

  get(clientId: string): Watermark | undefined {
    const row = this.sql
      .exec<{ client_group_id: string; last_mutation_id: number }>(
        'SELECT client_group_id, last_mutation_id FROM clients WHERE client_id = ?',
        clientId,
      )
      .toArray()[0]
    return row ? { gid: row.client_group_id, lmid: row.last_mutation_id } : undefined
  }

  /** Sets a client's watermark; call it in the transaction of the mutation's effect. */
  set(clientId: string, gid: string, lmid: number): void {
    this.sql.exec(
      `INSERT INTO clients (client_id, client_group_id, last_mutation_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at`,
      clientId,
      gid,
      lmid,
      Date.now(),
    )
  }
}

/** One subscription of one socket, as stored. */
export interface SubscriptionRow {
  socketId: string
  subId: string
  shape: string
  params: Record<string, unknown>
  shapeKey: string
}

export class Subscriptions {
  constructor(private readonly sql: SqlStorage) {}

  add(s: SubscriptionRow): void {
    this.sql.exec(
      'INSERT INTO subscriptions (socket_id, sub_id, shape, params, shape_key) VALUES (?, ?, ?, ?, ?)',
      s.socketId,
      s.subId,
      s.shape,
      JSON.stringify(s.params),
      s.shapeKey,
    )
  }

  /** Removes a subscription and returns its shape key; undefined if the socket had none by that id. */
  remove(socketId: string, subId: string): string | undefined {
    return this.sql
      .exec<{ shape_key: string }>(
        'DELETE FROM subscriptions WHERE socket_id = ? AND sub_id = ? RETURNING shape_key',
        socketId,
        subId,
      )
      .toArray()[0]?.shape_key
  }

  /** The subscription ids of a socket. */
  ofSocket(socketId: string): string[] {
    return this.sql
      .exec<{ sub_id: string }>('SELECT sub_id FROM subscriptions WHERE socket_id = ?', socketId)
      .toArray()
      .map((r) => r.sub_id)
  }

  all(): SubscriptionRow[] {
    return this.sql
      .exec<{ socket_id: string; sub_id: string; shape: string; params: string; shape_key: string }>(
        'SELECT socket_id, sub_id, shape, params, shape_key FROM subscriptions',
      )
      .toArray()
      .map((r) => ({
        socketId: r.socket_id,
        subId: r.sub_id,
        shape: r.shape,
        params: JSON.parse(r.params) as Record<string, unknown>,
        shapeKey: r.shape_key,
      }))
  }

  /** Forgets every subscription of a socket that is gone. */
  removeSocket(socketId: string): void {
    this.sql.exec('DELETE FROM subscriptions WHERE socket_id = ?', socketId)
  }
}
