/**
 * Headless Debian Chromium for the browser tests (playwright-core cannot download its own browser
 * here): the executable and the flags this sandbox needs — no sandbox, no GPU, no background traffic.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
