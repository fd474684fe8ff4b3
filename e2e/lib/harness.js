// Starts a real `tandem` (demo data on a fresh SQLite dir, free loopback port) and a headless
// Debian chromium driven by playwright-core. Nothing is downloaded.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tandemBinary() {
  if (process.env.TANDEM_BIN) return process.env.TANDEM_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
  return join(target, 'debug', 'tandem');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

// `dataDir`: start on an existing data directory (no demo is filled in), e.g. after a crash.
export async function startTandem({ dataDir: existing } = {}) {
  const dataDir = existing || mkdtempSync(join(tmpdir(), 'tandem-e2e-'));
  const port = await freePort();
  const env = { ...process.env, TANDEM_DATA_DIR: dataDir, TANDEM_LISTEN: `127.0.0.1:${port}` };
  delete env.TANDEM_DATABASE_URL;
  if (!existing) execFileSync(tandemBinary(), ['demo'], { env, stdio: 'pipe' });
  const proc = spawn(tandemBinary(), ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(`${base}/healthz`); if (r.ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    log: () => log,
    dataDir,
    async stop() { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); rmSync(dataDir, { recursive: true, force: true }); },
    // Kills the process without warning (SIGKILL) and keeps its data directory.
    async crash() { const exited = new Promise((r) => proc.once('exit', r)); proc.kill('SIGKILL'); await exited; },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function signIn(page, base, email, { password = 'demo-2026', next = '/' } = {}) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}
