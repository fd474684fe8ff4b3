// Data flowing in: an admin creates a metric on the data page and pushes points with an
// ingestion token; the store manager binds a key result to it and sees the value arrive with
// its source.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

const shot = async (page, name) => {
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}.png`, fullPage: true });
};

async function api(path, token, body) {
  const r = await fetch(`${app.base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

test('an admin creates a metric and pushes data; a manager binds a key result and the value flows in', async () => {
  const admin = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await signIn(admin, app.base, 'admin@demo.example', { next: '/data' });
  await admin.waitForURL(/\/data$/);
  assert.ok(await admin.locator('#metrics-table tbody tr').count() >= 3, 'the demo metrics are listed');
  await admin.fill('#metric-name', '南京西路店高峰出杯时间');
  await admin.fill('#metric-unit', '分钟');
  await admin.click('form[action="/data"] button[type=submit]');
  await admin.waitForURL(/\/data\/\d+\?ok=created$/);
  const metric = Number(admin.url().match(/data\/(\d+)/)[1]);
  await assert.doesNotReject(admin.locator('.empty', { hasText: '还没有数据点' }).waitFor());

  // An ingestion-only token pushes a point; it may do nothing else.
  const login = await fetch(`${app.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@demo.example', password: 'demo-2026' }) });
  const full = (await login.json()).token;
  const tok = (await api('/api/v1/me/tokens', full, { name: 'pos', scope: 'ingest' })).body.token;
  const pushed = await api(`/api/v1/metrics/${metric}/points`, tok, { points: [{ time: new Date().toISOString(), value: 2.9, external_id: 'pos-1' }] });
  assert.deepEqual([pushed.status, pushed.body.inserted], [200, 1]);
  assert.equal((await api('/api/v1/objectives', tok)).status, 403);
  await admin.reload();
  await assert.doesNotReject(admin.locator('#points-table td', { hasText: '2.9' }).waitFor());
  await shot(admin, 'metric-detail');

  // The sample file downloads in the format the import takes.
  const sample = await admin.evaluate(async () => (await fetch('/data/sample.csv')).text());
  assert.match(sample, /^\uFEFF?时间,数值,外部编号\n\d{4}-\d{2}-\d{2},\d+,sample-/);
  // A CSV file: a bad line is named and nothing is written; the fixed file is shown, then imported.
  const file = (text) => ({ name: 'pos.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await admin.setInputFiles('#import-check input[type=file]', file('时间,数值,外部编号\n2026-11-20 08:00,3.1,f-1\n2026-11-21,快,f-2\n'));
  await admin.click('#import-check button[type=submit]');
  await assert.doesNotReject(admin.locator('#import-errors').waitFor());
  assert.deepEqual((await admin.locator('#import-errors tbody td').allTextContents()).slice(0, 2), ['3', 'value']);
  await admin.setInputFiles('#import-check input[type=file]', file('时间,数值,外部编号\n2026-11-20 08:00,3.1,f-1\n2026-11-21,3.0,f-2\n'));
  await admin.click('#import-check button[type=submit]');
  await assert.doesNotReject(admin.locator('#import-preview', { hasText: '2' }).waitFor());
  assert.equal(await admin.locator('#points-table tbody tr').count(), 1, 'a preview writes nothing');
  await admin.click('#import-confirm button[type=submit]');
  await admin.waitForURL(/ok=imported$/);
  assert.equal(await admin.locator('#points-table tbody tr').count(), 3);
  assert.match(await admin.locator('#points-table').textContent(), /文件 · pos\.csv/);
  await shot(admin, 'metric-imported');

  // The store manager binds Zhang Wei's pour-time KR to the metric; its value becomes 2.9.
  const li = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await signIn(li, app.base, 'li.na@demo.example', { next: '/goals/tree' });
  await li.waitForURL(/\/goals\/tree$/);
  await li.click('#goal-tree a:has-text("让值班时段的出品又快又稳")');
  await li.waitForURL(/\/objectives\/\d+$/);
  const kr = li.locator('ul.krs > li', { hasText: '高峰时段平均出杯时间从4分钟降至2.5分钟' });
  await kr.locator('summary', { hasText: '绑定数据指标' }).click();
  await kr.locator('select[name=metric]').selectOption({ label: '南京西路店高峰出杯时间（分钟）' });
  await kr.locator('form[action$="/binding"] button[type=submit]').click();
  await li.waitForURL(/ok=saved#kr-\d+$/);
  const krAfter = li.locator('ul.krs > li', { hasText: '高峰时段平均出杯时间从4分钟降至2.5分钟' });
  assert.match(await krAfter.locator('.nums').textContent(), /当前 2\.9/);
  assert.match(await krAfter.textContent(), /数值自动来自指标「南京西路店高峰出杯时间」/);
  await krAfter.locator('summary', { hasText: '最近打卡' }).click();
  assert.match(await krAfter.locator('.checkin-log li').first().textContent(), new RegExp(`来自指标 #${metric}`));
  await shot(li, 'bound-kr');
});
