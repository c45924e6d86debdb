// Run by the memory workload in a fresh Node process with --expose-gc (`node --expose-gc --import tsx
// src/child/client-heap.ts <origin> <star> <rows>`): the JS heap a client-core collection holding
// the seed shape's rows costs. Prints one JSON line: heap after a full GC before the client, and
// with the client and its ready collection still referenced.
import { seedCollection } from '../lib/collection'

const [origin, star, rows] = process.argv.slice(2)
const gc = (globalThis as { gc?: () => void }).gc

function settled(): NodeJS.MemoryUsage {
  for (let i = 0; i < 4; i++) gc?.()
  return process.memoryUsage()
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc')
  if (!origin || !star || !rows) throw new Error('usage: client-heap.ts <origin> <star> <rows>')
  const params = { type: 'Doc', where: { kind: 'seed' } }
  // Warm-up on an empty shape of the same star: loads and compiles client-core, TanStack DB and ws.
  const warm = await seedCollection({
    origin,
    star,
    params: { type: 'Doc', where: { kind: 'none' } },
    expected: 0,
    timeoutMs: 60_000,
  })
  await warm.client.close()
  const before = settled()
  const s = await seedCollection({ origin, star, params, expected: Number(rows), timeoutMs: 120_000 })
  const held = settled()
  const size = s.docs.size
  await s.client.close()
  s.docs.utils.release()
  process.stdout.write(`${JSON.stringify({ before, held, rows: size, readyMs: s.readyMs })}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
