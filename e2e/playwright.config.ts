// End-to-end tests: real Chromium (Debian's, never a downloaded one) against the real server.
import { defineConfig } from '@playwright/test'
import { chromiumArgs, chromiumPath } from '../chromium'

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/results.json' }]] : 'list',
  use: {
    headless: true,
    launchOptions: {
      executablePath: chromiumPath,
      args: [...chromiumArgs],
    },
  },
})
