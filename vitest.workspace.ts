// The test projects of the repository. vitest.config.ts passes this list to `test.projects`
// (Vitest 4 ignores a workspace file on its own).
import { playwright } from '@vitest/browser-playwright'
import type { TestProjectConfiguration } from 'vitest/config'
import { chromiumArgs, chromiumPath } from './chromium'

export const projects: TestProjectConfiguration[] = [
  {
    test: {
      name: 'protocol',
      include: ['packages/protocol/src/**/*.test.ts'],
      exclude: ['**/*.browser.test.ts'],
      environment: 'node',
    },
  },
  {
    test: {
      name: 'server-unit',
      include: ['packages/server/src/**/*.test.ts'],
      environment: 'node',
    },
  },
  {
    test: {
      name: 'server',
      include: ['packages/server/test/**/*.test.ts'],
      environment: 'node',
      globalSetup: ['packages/server/test/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  },
  {
    test: {
      name: 'client-core',
      include: ['packages/client-core/src/**/*.test.ts'],
      exclude: ['**/*.browser.test.ts'],
      environment: 'node',
    },
  },
  {
    test: {
      name: 'client-core-integration',
      include: ['packages/client-core/test/**/*.test.ts'],
      environment: 'node',
      globalSetup: ['packages/client-core/test/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  },
  {
    test: {
      name: 'browser',
      include: ['packages/*/src/**/*.browser.test.ts'],
      // The real server, for tests that sync (its origin is provided as `serverUrl`).
      globalSetup: ['packages/client-core/test/global-setup.ts'],
      testTimeout: 30_000,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        instances: [{ browser: 'chromium' }],
        provider: playwright({
          launchOptions: {
            executablePath: chromiumPath,
            args: [...chromiumArgs],
          },
        }),
      },
    },
  },
]
