// Scheduled pulls and spreadsheets through the browser: the admin sees the demo's connector to
// its sales database, tests it (nothing written) and runs it; a store manager uploads a file of
// KPI values, sees a bad row named, fixes it, previews and confirms, and the board shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

const shot = async (page, name) => {
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}.png`, fullPage: true });
};

test('the admin tests and runs the demo connector; its points name it as their source', async () => {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await signIn(page, app.base, 'admin@demo.example', { next: '/data' });
  await page.click('#connectors-link');
  await page.waitForURL(/\/data\/connectors$/);
  const card = page.locator('article.connector', { hasText: '收银库·门店日销售' });
  await assert.doesNotReject(card.locator('.tag', { hasText: '上次成功' }).waitFor(), 'the demo ran it once');
  await card.locator('button', { hasText: '立即测试' }).click();
  await page.locator('#test-result').waitFor();
  assert.match(await page.locator('#test-result').innerText(), /读取成功（未写入）：\s*60 行/);
  await shot(page, 'connector-test');
  await page.locator('article.connector button', { hasText: '立即运行' }).click();
  await page.waitForURL(/\/data\/connectors#c-\d+$/);
  await page.locator('article.connector details summary').click();
  const runs = await page.locator('article.connector details tbody tr').allInnerTexts();
  assert.equal(runs.length, 2, 'the demo run and this one');
  assert.match(runs[0], /手动\s+ok\s+60\s+0/, 'the same rows again: nothing written');
  await page.locator('article.connector a', { hasText: '全部门店日销售额' }).click();
  await page.waitForURL(/\/data\/\d+$/);
  assert.match(await page.locator('#points-table').innerText(), /定时拉取 · 收银库·门店日销售/);
  await page.context().close();
});

test('a manager imports KPI values from a file: bad rows named, then previewed and written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-kpi-file-'));
  const bad = join(dir, 'bad.csv');
  const good = join(dir, '十二月.csv');
  writeFileSync(bad, 'kpi,owner,period,value\n收银差错率,秦月,2026-12,很低\n');
  writeFileSync(good, 'kpi,owner,period,value\n收银差错率,秦月,2026-12,0.09\n');
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await signIn(page, app.base, 'li.na@demo.example', { next: '/kpis' });
  await page.click('#kpi-import-link');
  await page.waitForURL(/\/kpis\/import$/);
  await page.setInputFiles('#import-file', bad);
  await page.click('#import-check button[type=submit]');
  await page.locator('#import-errors').waitFor();
  assert.match(await page.locator('table').innerText(), /2\s+value\s+数值为空或不是数字/);
  await page.setInputFiles('#import-file', good);
  await page.click('#import-check button[type=submit]');
  await page.locator('#import-preview').waitFor();
  assert.match(await page.locator('#import-preview').innerText(), /将新增或更新 1/);
  await shot(page, 'kpi-import-preview');
  await page.click('#import-confirm button[type=submit]');
  await page.waitForURL(/\/kpis\?ok=imported$/);
  const row = page.locator('tr', { hasText: '收银差错率' }).first();
  assert.match(await row.innerText(), /0\.09/);
  await page.context().close();
});

test('a manager imports OKRs from a sheet into the running quarter, as drafts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-okr-file-'));
  const sheet = join(dir, 'okrs.csv');
  writeFileSync(sheet, '\ufeff目标,负责人,类型,关键结果,度量方式,基线,目标值,单位\n表格导入：会员复购,li.na@demo.example,挑战型,会员月复购率从25%提升至35%,提升,25,35,%\n,,,小程序月活达到12000,提升,8000,12000,人\n');
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await signIn(page, app.base, 'li.na@demo.example', { next: '/goals' });
  await page.click('#okr-import-link');
  await page.waitForURL(/\/goals\/import\?cycle=\d+$/);
  await page.setInputFiles('#import-file', sheet);
  await page.click('#import-check button[type=submit]');
  await page.locator('#import-preview').waitFor();
  assert.match(await page.locator('#import-preview').innerText(), /目标 1 · 关键结果 2/);
  await page.click('#import-confirm button[type=submit]');
  await page.waitForURL(/\/goals\?cycle=\d+&ok=imported$/);
  assert.match(await page.locator('main').innerText(), /表格导入：会员复购/);
  await shot(page, 'okr-imported');
  await page.context().close();
});
