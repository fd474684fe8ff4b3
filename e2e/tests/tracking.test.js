// Tracking in the browser: a member checks in from the inbox and sees the scores move on the
// objective and on the company heat map; the manager finds the red light and acknowledges it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

const shot = async (page, name) => {
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}.png`, fullPage: true });
};

async function storeScore(page) {
  await page.goto(`${app.base}/dashboard`);
  const tile = page.locator('#heat-map a.tile', { hasText: '上海南京西路店' });
  return (await tile.locator('.tscore').textContent()).trim();
}

test('a member checks in from the inbox; the objective and the heat map move; the manager sees the red light', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  await signIn(page, app.base, 'zhang.wei@demo.example', { next: '/goals' });
  await page.waitForURL(/\/goals$/);
  const heatBefore = await storeScore(page);

  // The inbox lists this week's check-ins; the first one opens the key result.
  await page.goto(`${app.base}/goals`);
  const owed = page.locator('#inbox li a');
  assert.equal(await owed.count(), 2, 'both key results of his objective are owed this week');
  const title = (await owed.first().textContent()).trim();
  assert.equal(title, '高峰时段平均出杯时间从4分钟降至2.5分钟');
  await shot(page, 'inbox');
  await owed.first().click();
  await page.waitForURL(/\/objectives\/\d+\?check_in=\d+#kr-\d+$/);
  const kr = page.locator(`li#${page.url().split('#')[1]}`);
  // The link opens that key result's check-in, in view, its value field ready to type in.
  assert.equal(await kr.locator('details.checkin').getAttribute('open'), '', 'the check-in is open');
  assert.equal(await page.evaluate(() => document.activeElement?.name), 'value');
  assert.ok(await kr.locator('input[name=value]').isVisible());
  assert.ok(await kr.locator('svg.chart polyline.value').count() === 1, 'the value is charted against the pace line');
  const scoreBefore = Number(await page.locator('#obj-score').textContent());

  // Check in at the target: 2.5 minutes.
  await kr.locator('input[name=value]').last().fill('2.5');
  const slider = kr.locator('input[type=range][name=confidence]');
  await slider.focus();
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
  assert.equal(await kr.locator('.checkin-form output').textContent(), '9', 'the slider shows its number');
  await kr.locator('textarea[name=progress]').fill('第二台封口机到位\n高峰出杯提速');
  await kr.locator('form[action$="/check-ins"] button[type=submit]').click();
  await page.waitForURL(/ok=checkin-\d+#kr-\d+$/);
  const scoreAfter = Number(await page.locator('#obj-score').textContent());
  assert.ok(scoreAfter > scoreBefore, `the objective's score rose: ${scoreBefore} → ${scoreAfter}`);
  // Beside the key result, in view: what the check-in changed.
  const saved = kr.locator('.saved-note');
  assert.match(await saved.textContent(), /已打卡：.+→ 2\.5分钟 · 得分 .+ → 1\.00 · 目标得分/);
  assert.ok(await saved.isVisible());
  await kr.locator('summary', { hasText: '最近打卡' }).click();
  await assert.doesNotReject(kr.locator('.checkin-log li', { hasText: '第二台封口机到位' }).waitFor());
  assert.match(await kr.locator('.checkin-log li', { hasText: '第二台封口机到位' }).first().innerText(), /第二台封口机到位\n高峰出杯提速/, 'the note keeps its line break');
  assert.equal(await kr.locator('.checkin-log details summary', { hasText: '修改' }).count(), 1, 'his fresh check-in can be corrected');
  await shot(page, 'objective-after-check-in');

  await page.goto(`${app.base}/goals`);
  assert.equal(await page.locator('#inbox li a').count(), 1, 'one check-in left this week');
  assert.equal(await page.locator('#nothing-owed').count(), 0);
  const heatAfter = await storeScore(page);
  assert.notEqual(heatAfter, heatBefore, `the store's tile moved: ${heatBefore} → ${heatAfter}`);
  assert.ok(Number(heatAfter) > Number(heatBefore));
  await shot(page, 'heat-map-after');
  await ctx.close();

  // The store manager sees the red light on the stalled complaints KR and acknowledges it.
  const mctx = await browser.newContext({ locale: 'zh-CN' });
  const manager = await mctx.newPage();
  await signIn(manager, app.base, 'li.na@demo.example', { next: '/dashboard' });
  await manager.waitForURL(/\/dashboard$/);
  const row = manager.locator('#red-light-list tr', { hasText: '值班时段顾客投诉从每月6起降至2起以内' });
  await assert.doesNotReject(row.waitFor());
  assert.match(await row.textContent(), /张伟/);
  await shot(manager, 'red-lights');
  await row.locator('summary', { hasText: '确认' }).click();
  await row.locator('input[name=note]').fill('每周复盘投诉原因，安排老员工带班');
  await row.locator('button[type=submit]').click();
  await manager.waitForURL(/\/dashboard\?ok=saved/);
  const after = manager.locator('#red-light-list tr', { hasText: '值班时段顾客投诉从每月6起降至2起以内' });
  await assert.doesNotReject(after.locator('.tag', { hasText: '已确认' }).waitFor());
  assert.match(await after.textContent(), /安排老员工带班/);
  await mctx.close();
});

test('the team tree shows a trend per objective, and the KPI board charts each KPI', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  await signIn(page, app.base, 'li.na@demo.example', { next: '/goals/tree' });
  await page.waitForURL(/\/goals\/tree$/);
  const sparks = await page.locator('#goal-tree svg.spark').count();
  assert.ok(sparks >= 10, `published objectives have sparklines (${sparks})`);
  await page.goto(`${app.base}/kpis`);
  const charts = await page.locator('.kpi-table svg.chart').count();
  assert.ok(charts >= 5, `the KPIs she may see are charted (${charts})`);
  // She reports this month's value for a KPI of her team from the board.
  const row = page.locator('.kpi-table tr', { hasText: '收银差错率' });
  await row.locator('summary', { hasText: '填报本期数值' }).click();
  await row.locator('input[name=value]').fill('0.6');
  await row.locator('form[action$="/values"] button[type=submit]').click();
  // The demo has this month already: the form comes back open, asking before it replaces.
  await page.waitForLoadState('load');
  const again = page.locator('.kpi-table tr', { hasText: '收银差错率' });
  assert.match(await again.locator('p.error[role=alert]').textContent(), /这一期已记录为/);
  assert.equal(await again.locator('input[name=value]').inputValue(), '0.6', 'what was typed is kept');
  await again.locator('input[name=replace]').check();
  await again.locator('form[action$="/values"] button[type=submit]').click();
  await page.waitForURL(/\/kpis\?ok=saved#kpi-\d+$/);
  const updated = page.locator('.kpi-table tr', { hasText: '收银差错率' });
  assert.match(await updated.textContent(), /0\.6%/);
  await assert.doesNotReject(updated.locator('.tag.kpi-tag-fail').waitFor());
  await shot(page, 'kpi-board');
  await ctx.close();
});
