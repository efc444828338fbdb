import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); another one with RINGSIDE_CHROMIUM. */
export const CHROMIUM = process.env.RINGSIDE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** A console user's own browser profile (its own storage), at the size the console is built for. */
export function newConsoleContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    // Not the customers' zone, so that a callback shows two different clocks.
    timezoneId: 'Europe/London',
  });
}

/** Uncaught errors in the page fail the test at the end, with what they said. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Signs in through the login form and waits for the console's first screen. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.getByText('Connected', { exact: true }).waitFor();
}

/**
 * Stamps `window.popVisibleAt` in the page when the pop's customer name is first in the DOM (no
 * polling delay); `visible` settles when it is there (wrapped, so that awaiting the watch does
 * not wait for the pop).
 */
export async function watchForPop(page: Page): Promise<{ visible: Promise<void> }> {
  await page.evaluate(() => {
    const w = window as Window & { popVisibleAt?: number };
    const seen = () => document.querySelector('[data-testid="pop-customer-name"]') !== null;
    new MutationObserver((_changes, observer) => {
      if (seen()) {
        w.popVisibleAt = Date.now();
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  return { visible: page.getByTestId('pop-customer-name').waitFor() };
}
