// The first browser test: sign in as a demo user, switch the language, see the org chart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

test('a member signs in, sees the org chart in Chinese, switches to English', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await page.goto(`${app.base}/org`);
  assert.match(page.url(), /\/login\?next=%2Forg|\/login\?next=\/org/, 'signed-out visitors are sent to sign in');
  await signIn(page, app.base, 'zhang.wei@demo.example', { next: '/org' });
  await page.waitForURL(/\/org$/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await assert.doesNotReject(page.locator('h1', { hasText: '组织架构' }).waitFor());
  const tree = page.locator('#org-tree');
  assert.ok(await tree.locator('text=上海南京西路店').count() >= 1, 'the store is on the chart');
  assert.ok(await tree.locator('text=华东大区').count() >= 1);
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/org-zh.png`, fullPage: true });

  await page.click('#lang-switch');
  await page.waitForURL(/\/org$/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await assert.doesNotReject(page.locator('h1', { hasText: 'Org chart' }).waitFor());
  assert.ok(await page.locator('nav >> text=People').count() === 1, 'navigation is in English');
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/org-en.png`, fullPage: true });
  await page.close();
});

test('a wrong password keeps the typed email and says why, in Chinese', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await signIn(page, app.base, 'zhang.wei@demo.example', { password: 'wrong-password' });
  await assert.doesNotReject(page.locator('[role=alert]', { hasText: '邮箱或密码不正确' }).waitFor());
  assert.equal(await page.inputValue('#email'), 'zhang.wei@demo.example');
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/login-error.png` });
  await page.close();
});

test('an admin adds an org unit and sees it on the chart', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await signIn(page, app.base, 'admin@demo.example', { next: '/org' });
  await page.waitForURL(/\/org$/);
  await page.fill('#unit-name', '成都春熙路店');
  await page.selectOption('#unit-parent', { label: '— 华南大区' });
  await page.click('form[action="/org"] button[type=submit]');
  await page.waitForURL(/\/org\?ok=created$/);
  await assert.doesNotReject(page.locator('#org-tree >> text=成都春熙路店').waitFor());
  await assert.doesNotReject(page.locator('[role=status]', { hasText: '已创建' }).waitFor());
  for (const path of ['/people', '/cycles', '/account']) {
    await page.goto(`${app.base}${path}`);
    const name = path.slice(1);
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}.png`, fullPage: true });
  }
  await page.close();
});

test('an admin imports an org chart: a bad row is reported, nothing is written, the fixed file goes in', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await signIn(page, app.base, 'admin@demo.example', { next: '/org' });
  await page.waitForURL(/\/org$/);
  await page.goto(`${app.base}/people`);
  // A unit the file creates (成都春熙路店 was added on the chart above; this one is new).
  const bad = 'name,email,unit,parent_unit,manager\n刘备,liu.bei@demo.example,重庆解放碑店,华南大区,yes\n关羽,not-an-email,重庆解放碑店,,no\n';
  await page.fill('#csv-content', bad);
  await page.click('#import button[type=submit]');
  await assert.doesNotReject(page.locator('#import-errors').waitFor());
  const cells = await page.locator('#import-errors tbody tr td').allTextContents();
  assert.deepEqual(cells.slice(0, 2), ['3', 'email'], 'the bad row and column are named');
  assert.equal(await page.inputValue('#csv-content'), bad, 'what was pasted is still there');
  assert.equal(await page.locator('#people-table td > a', { hasText: '刘备' }).count(), 0, 'nothing was written');
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/import-rejected.png`, fullPage: true });

  await page.fill('#csv-content', bad.replace('not-an-email', 'guan.yu@demo.example'));
  await page.click('#import button[type=submit]');
  await assert.doesNotReject(page.locator('#import button', { hasText: '确认导入' }).waitFor());
  assert.equal(await page.locator('#people-table td > a', { hasText: '刘备' }).count(), 0, 'a preview writes nothing');
  assert.match(await page.locator('#import-new-units').textContent(), /重庆解放碑店/, 'the unit to be created is named');
  // A new unit needs its tick: without it, the preview comes back with the reason.
  await page.click('#import button:has-text("确认导入")');
  await assert.doesNotReject(page.locator('[role=alert], .error', { hasText: '导入会新建这些部门：重庆解放碑店' }).first().waitFor());
  assert.equal(await page.locator('#people-table td > a', { hasText: '刘备' }).count(), 0, 'nothing was written');
  await page.check('#import input[name=create_units]');
  await page.click('#import button:has-text("确认导入")');
  await assert.doesNotReject(page.locator('#import .notice', { hasText: '导入完成' }).waitFor());
  assert.equal(await page.locator('#people-table td > a', { hasText: '刘备' }).count(), 1);
  await page.close();
});

test('a member drafts an objective, sees the hints, fixes it, publishes it aligned to the store objective and finds it in the goal tree', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await signIn(page, app.base, 'yang.fan@demo.example');
  await page.waitForURL(/\/goals$/);
  await page.click('text=新建目标');
  await page.fill('#o-title', '完成本季度的出品任务');
  await page.fill('input[name=kr0_title]', '参加3次出品培训');
  await page.fill('input[name=kr0_target]', '3');
  await assert.doesNotReject(page.locator('#hints li[data-rule=kr_is_activity]').waitFor());
  await assert.doesNotReject(page.locator('#hints li[data-rule=objective_is_task]').waitFor());
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/draft-hints.png`, fullPage: true });

  await page.fill('#o-title', '让每一杯出品都稳定如一');
  await page.fill('input[name=kr0_title]', '出品标准抽检合格率从92%提升至98%');
  await page.fill('input[name=kr0_baseline]', '92');
  await page.fill('input[name=kr0_target]', '98');
  await page.fill('input[name=kr0_unit]', '%');
  await page.fill('input[name=kr1_title]', '因出品问题引起的投诉从每月4起降至1起');
  await page.selectOption('select[name=kr1_measure]', 'decrease');
  await page.fill('input[name=kr1_baseline]', '4');
  await page.fill('input[name=kr1_target]', '1');
  await assert.doesNotReject(page.locator('#hints .hints-ok').waitFor());
  await page.selectOption('#o-parent', { label: '上海南京西路店 · 打造顾客最愿意再来的门店' });
  await page.click('button[value=publish]');
  await page.waitForURL(/\/objectives\/\d+\?ok=created$/);
  await assert.doesNotReject(page.locator('h1', { hasText: '让每一杯出品都稳定如一' }).waitFor());
  assert.equal(await page.locator('.krs li').count(), 2);

  await page.goto(`${app.base}/goals/tree`);
  const node = page.locator('#goal-tree li', { hasText: '让每一杯出品都稳定如一' });
  await assert.doesNotReject(node.waitFor());
  const margin = await node.evaluate((el) => parseFloat(getComputedStyle(el).marginLeft));
  assert.ok(margin >= 26 * 3, `aligned under the store objective (indent ${margin}px)`);
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/tree-after.png`, fullPage: true });

  // The alignment map finds it by search and shows it with the chain above it.
  await page.goto(`${app.base}/goals/map`);
  await page.fill('#map-q', '稳定如一');
  await page.click('form[action="/goals/map"] button[type=submit]');
  const hit = page.locator('#alignment-map g.node.hit');
  await assert.doesNotReject(hit.waitFor());
  assert.match(await hit.textContent(), /让每一杯出品都稳定如一/);
  const chain = await page.locator('#alignment-map g.node').count();
  assert.ok(chain >= 4, `the match and the three objectives above it (${chain} nodes)`);
  // Folding a branch hides what is below it.
  await page.goto(`${app.base}/goals/map`);
  const store = page.locator('#alignment-map g.node', { hasText: '打造顾客最愿意再来的门店' });
  const id = await store.getAttribute('data-id');
  await page.click(`#alignment-map g.toggle[data-toggle="${id}"]`);
  assert.equal(await page.locator('#alignment-map g.node', { hasText: '让每一杯出品都稳定如一' }).isVisible(), false);
  await page.close();
});
