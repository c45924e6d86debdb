import { expect, test } from '@playwright/test'

const base = (): string => {
  const url = process.env.LUMENIZE_URL
  if (!url) throw new Error('LUMENIZE_URL is not set: the e2e global setup did not start the server')
  return url
}

test('a person opens the server, checks a star and sees its health', async ({ page }) => {
  await page.goto(base())
  await expect(page.getByRole('heading', { name: 'Lumenize is running' })).toBeVisible()
  await page.getByLabel('Star id').fill('acme.e2e.main')
  await page.getByRole('button', { name: 'Check health' }).click()
  await expect(page.locator('#result')).toContainText('200')
  await expect(page.locator('#result')).toContainText('"star": "acme.e2e.main"')
})

test('a mistyped star id is explained, not crashed on', async ({ page }) => {
  await page.goto(base())
  await page.getByLabel('Star id').fill('acme-main')
  await page.getByRole('button', { name: 'Check health' }).click()
  await expect(page.locator('#result')).toContainText('400')
  await expect(page.locator('#result')).toContainText('INVALID_STAR_ID')
})
