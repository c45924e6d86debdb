// The SharedWorker script: one hub for every tab of an origin that asks for it by name (a name per
// star, cache and app build). Loaded by `sharedWorker()` below with `new SharedWorker(new URL(…,
// import.meta.url), { type: 'module' })`, which Vite and other bundlers follow with no configuration.
import { hostSharedWorker, type SharedWorkerScope } from '@lumenize/client-core/hub'

hostSharedWorker(self as unknown as SharedWorkerScope)
