// A week on a phone (360 px), as the "done means" asks: a member sees what is owed,
// checks in with a status and a note of two lines, sees the score move; their manager reads the
// red light and acknowledges it, opens the team, a report's page (OKRs, KPIs, check-ins) and asks
// for a KPI change, which HR approves with a note. And on a desktop, the parent picker of a
// company with many objectives finds one as you type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
const fits = async (page, where) => {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 360, `${where}: ${w} px wide on a 360 px phone`);
};

test("a member's and a manager's week on a phone", async () => {
  // The member: what is owed, a check-in with a status, the score moves.
  const mctx = await browser.newContext(PHONE);
  const member = await mctx.newPage();
  await signIn(member, app.base, 'zhang.wei@demo.example', { next: '/goals' });
  await member.waitForURL(/\/goals$/);
  await fits(member, 'my goals');
  const owed = member.locator('#inbox li a');
  assert.ok(await owed.count() >= 1, 'something is owed this week');
  await owed.first().click();
  await member.waitForURL(/check_in=\d+#kr-\d+$/);
  await fits(member, 'objective');
  const kr = member.locator(`li#${member.url().split('#')[1]}`);
  const before = Number(await member.locator('#obj-score').textContent());
  await kr.locator('input[name=value]').fill('2.5');
  await kr.locator('label', { hasText: '有风险' }).click();
  await kr.locator('textarea[name=status_reason]').fill('新设备下周才到');
  await kr.locator('textarea[name=progress]').fill('两家门店试行新流程\n高峰出杯提速');
  const button = kr.locator('button.checkin-submit');
  const box = await button.boundingBox();
  assert.ok(box.height >= 44, `a thumb-sized button: ${box.height} px`);
  await button.click();
  await member.waitForURL(/ok=checkin-\d+#kr-\d+$/);
  const after = Number(await member.locator('#obj-score').textContent());
  assert.ok(after > before, `the objective's score rose: ${before} → ${after}`);
  assert.ok(await kr.locator('.saved-note').isVisible(), 'what changed, in view');
  const said = kr.locator('.reported');
  assert.match(await said.textContent(), /本人判断：有风险 新设备下周才到/);
  assert.match(await said.textContent(), /与预测不一致/, 'at the target, yet at risk: the two disagree');
  await kr.locator('summary', { hasText: '最近打卡' }).click();
  assert.match(await kr.locator('.checkin-log li').first().innerText(), /两家门店试行新流程\n高峰出杯提速/);
  await mctx.close();

  // The manager: the red light, acknowledged; the team; a report's page; a KPI change asked for.
  const lctx = await browser.newContext(PHONE);
  const lead = await lctx.newPage();
  await signIn(lead, app.base, 'li.na@demo.example', { next: '/goals' });
  await lead.waitForURL(/\/goals$/);
  await fits(lead, "the manager's home");
  assert.ok(await lead.locator('#red-lights li', { hasText: '值班时段顾客投诉' }).count() >= 1, 'the red light is on her home');
  await lead.goto(`${app.base}/dashboard`);
  const row = lead.locator('#red-light-list tr', { hasText: '值班时段顾客投诉从每月6起降至2起以内' });
  await row.locator('summary', { hasText: '确认' }).click();
  await row.locator('input[name=note]').fill('安排老员工带班');
  await row.locator('button[type=submit]').click();
  await lead.waitForURL(/\/dashboard\?ok=saved/);
  await fits(lead, 'dashboard');

  await lead.goto(`${app.base}/goals`);
  await lead.locator('a.person-link', { hasText: '张伟' }).first().click();
  await lead.waitForURL(/\/people\/\d+$/);
  await fits(lead, "a report's page");
  assert.ok(await lead.locator('#person-okrs article.obj').count() >= 1, 'his OKRs');
  assert.ok(await lead.locator('#person-kpis tr[id^=kpi-]').count() >= 1, 'his KPIs, which she may see');
  assert.match(await lead.locator('#person-check-ins').innerText(), /两家门店试行新流程/, 'his latest check-in');
  const kpi = lead.locator('#person-kpis tr[id^=kpi-]').first();
  await kpi.locator('summary', { hasText: '申请变更' }).click();
  await kpi.locator('input[name=target]').fill('2.8');
  await kpi.locator('textarea[name=reason]').fill('新设备延期，本季度目标放宽');
  await kpi.locator('button[type=submit]', { hasText: '提交申请' }).click();
  await lead.waitForLoadState();
  await lctx.close();

  // HR approves with a note; the note is on the record.
  const hctx = await browser.newContext(PHONE);
  const hr = await hctx.newPage();
  await signIn(hr, app.base, 'hr@demo.example', { next: '/kpis/requests' });
  await hr.waitForURL(/\/kpis\/requests$/);
  await fits(hr, 'change requests');
  const req = hr.locator('#change-requests tr', { hasText: '新设备延期，本季度目标放宽' });
  await req.locator('textarea[name=note]').fill('同意\n下季度恢复');
  await req.locator('button[value=true]').click();
  await hr.waitForLoadState();
  const decided = hr.locator('#change-requests tr', { hasText: '新设备延期，本季度目标放宽' });
  assert.match(await decided.innerText(), /同意\n下季度恢复/, 'the note keeps its line break');
  await hctx.close();
});

test('the parent picker finds one of many objectives as you type', async () => {
  const login = await fetch(`${app.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ceo@demo.example', password: 'demo-2026' }),
  }).then((r) => r.json());
  const api = (path, method = 'GET', body) => fetch(`${app.base}${path}`, {
    method, headers: { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  }).then((r) => r.json());
  const cycle = (await api('/api/v1/cycles')).items.find((c) => c.state === 'active').id;
  let target;
  for (let i = 0; i < 60; i++) {
    const o = await api('/api/v1/objectives', 'POST', { title: `拓展第${i}号城市的加盟门店`, cycle, key_results: [{ title: '加盟门店从0家增加到3家', target: 3 }] });
    await api(`/api/v1/objectives/${o.id}`, 'PATCH', { status: 'published' });
    if (i === 42) target = o.id;
  }
  const mine = await api('/api/v1/objectives', 'POST', { title: '让加盟体系可复制', cycle, key_results: [{ title: '加盟手册覆盖率从0%提升到100%', target: 100 }] });
  await api(`/api/v1/objectives/${mine.id}`, 'PATCH', { status: 'published' });

  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  await signIn(page, app.base, 'ceo@demo.example', { next: `/objectives/${mine.id}` });
  await page.waitForURL(/\/objectives\/\d+$/);
  await page.locator('#edit-objective summary').click();
  const options = () => page.locator('#e-parent option').allTextContents();
  assert.ok((await options()).length <= 51, 'the likely ones, not every objective');
  await page.locator('input[name=parent_q]').pressSequentially('第42号', { delay: 30 });
  await page.waitForFunction(() => [...document.querySelectorAll('#e-parent option')].some((o) => o.textContent.includes('拓展第42号城市')));
  await page.locator('#e-parent').selectOption(String(target));
  await page.locator('#e-reason').fill('对齐城市拓展');
  await page.locator('#edit-objective button[type=submit]', { hasText: '保存' }).click();
  await page.waitForURL(/ok=saved/);
  const saved = await api(`/api/v1/objectives/${mine.id}`);
  assert.equal(saved.parent, target, 'aligned to the objective found by typing');
  await ctx.close();
});
