// Every page of the main navigation on a 360 px phone, in Chinese and in English, as a member
// and as the admin (who sees every section): the header stays compact, the sections sit on one
// row that scrolls sideways (never one character per line), the current one is in view, no page
// is wider than the screen, and KPI lists are cards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem, launchBrowser, signIn } from '../lib/harness.js';

let app, browser;
before(async () => { app = await startTandem(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

const PHONE = 360;

for (const who of ['zhang.wei@demo.example', 'admin@demo.example']) {
  test(`every section fits a ${PHONE} px phone for ${who}, in Chinese and English`, async () => {
    for (const lang of ['zh', 'en']) {
      const ctx = await browser.newContext({ viewport: { width: PHONE, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
      const page = await ctx.newPage();
      await signIn(page, app.base, who, { next: '/goals' });
      if (lang === 'en') await page.goto(`${app.base}/lang/en?next=/goals`);
      const links = await page.locator('.topbar nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.length >= 5, `the sections: ${links}`);
      for (const href of [...links, '/account', '/lessons']) {
        await page.goto(app.base + href);
        const m = await page.evaluate(() => {
          const nav = document.querySelector('.topbar nav');
          const on = nav.querySelector('a.on');
          const navBox = nav.getBoundingClientRect();
          const onBox = on ? on.getBoundingClientRect() : null;
          return {
            width: document.documentElement.scrollWidth,
            header: document.querySelector('.topbar').getBoundingClientRect().height,
            linkHeights: [...nav.querySelectorAll('a')].map((a) => a.getBoundingClientRect().height),
            onInView: !onBox || (onBox.left >= navBox.left - 1 && onBox.right <= navBox.right + 1),
            lang: document.documentElement.lang,
            kpiCards: [...document.querySelectorAll('table.kpi-cards')].map((t) => ({
              head: getComputedStyle(t.querySelector('thead')).display,
              row: t.querySelector('tbody tr') ? getComputedStyle(t.querySelector('tbody tr')).display : 'block',
            })),
          };
        });
        const where = `${lang} ${href}`;
        assert.equal(m.lang, lang === 'zh' ? 'zh-CN' : 'en', where);
        assert.ok(m.width <= PHONE, `${where}: the page is ${m.width} px wide on a ${PHONE} px screen`);
        assert.ok(m.header <= 100, `${where}: the header takes ${m.header} px`);
        assert.ok(Math.max(...m.linkHeights) < 48, `${where}: a section name wraps (${m.linkHeights})`);
        assert.ok(m.onInView, `${where}: the current section is scrolled into view`);
        for (const t of m.kpiCards) assert.deepEqual(t, { head: 'none', row: 'block' }, `${where}: KPIs as cards`);
      }
      await ctx.close();
    }
  });
}
