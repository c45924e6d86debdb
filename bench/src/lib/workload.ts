// What a workload is, and what the runner hands it.
import type { BenchBrowser } from './browser'
import type { SyncClient } from './client'
import type { NotMeasured, WorkloadResult } from './results'
import type { BenchServer, StartOptions } from './server'

export interface WorkloadContext {
  /** Starts the real server; the runner disposes it when the workload ends, failed or not. */
  startServer(options?: StartOptions): Promise<BenchServer>
  /** Starts Chromium with the bench page's server; the runner closes it when the workload ends. */
  openBrowser(): Promise<BenchBrowser>
  /** Clients the runner closes when the workload ends. */
  track(...clients: readonly (SyncClient | undefined)[]): void
  /** Closes tracked clients now (e.g. between phases). */
  closeTracked(): Promise<void>
  log(message: string): void
  /** Adds to the result's `setup` (deflate, Chromium, …). */
  setup: Record<string, unknown>
  /**
   * Runs `fn` under a CPU profile of the server's isolate when BENCH_PROFILE=1 (else just runs it):
   * the summary lands in the result's `cpuProfiles[label]`.
   */
  profiled<T>(label: string, fn: () => Promise<T>): Promise<T>
  /** performance.now() past which the workload should stop measuring more. */
  deadline: number
}

export interface Workload {
  name: string
  description: string
  /** The runner stops the workload (and disposes its server) after this long. */
  budgetMs: number
  /** Parts of the workload that need code that does not exist yet (reported as not yet measured). */
  pending?: NotMeasured[]
  run(ctx: WorkloadContext): Promise<WorkloadResult>
}
