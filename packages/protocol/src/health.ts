// The answer of `GET /stars/<id>/health`.

/** What a star reports about itself. */
export interface StarHealth {
  /** The star id, `universe.galaxy.star`. */
  star: string
  /** The op-log's current sequence number (0 for a star that has never been written). */
  seq: number
  /** Open WebSockets on the star, hibernated ones included. */
  sockets: number
  /** The version of the star's SQLite schema. */
  schemaVersion: number
}
