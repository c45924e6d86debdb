// How every test and benchmark launches Chromium: Debian's build (never a downloaded one), headless,
// with the flags this closed-network machine needs. CHROMIUM_PATH overrides the binary.

export const chromiumPath: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
