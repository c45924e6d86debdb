// The sync protocol's version. Bump PROTOCOL_VERSION on any wire change that an older peer cannot
// ignore; raise MIN_SUPPORTED_PROTOCOL_VERSION only when the server drops an old client shape.
//
// History:
//   1 (2026-11): connect, subscribe/unsubscribe, push, pokes with per-subscription parts.

export const PROTOCOL_VERSION = 1
export const MIN_SUPPORTED_PROTOCOL_VERSION = 1
