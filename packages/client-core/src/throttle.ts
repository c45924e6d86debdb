// At most once per interval: the first call runs now (or when the interval since the last run has
// passed), the calls meanwhile fold into one run at its end. For news that comes faster than anyone
// should hear it (the last sync, with pokes many times a second).
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastRun = 0

  constructor(
    private readonly everyMs: number,
    private readonly run: () => void,
  ) {}

  /** Something changed: run now if the interval has passed, else once when it has. */
  poke(): void {
    if (this.timer !== undefined) return
    const wait = this.lastRun + this.everyMs - Date.now()
    if (wait <= 0) this.fire()
    else this.timer = setTimeout(() => this.fire(), wait)
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private fire(): void {
    this.timer = undefined
    this.lastRun = Date.now()
    this.run()
  }
}
