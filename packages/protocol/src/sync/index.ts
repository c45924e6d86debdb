// The sync socket's messages and version.
export * from './down'
export * from './port'
export * from './up'
export * from './version'
