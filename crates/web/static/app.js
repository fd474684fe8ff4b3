// Tandem's own small enhancement: live goal-quality hints while an objective is drafted.
// The page works without it (the "check" button asks the server for the same hints).
(function () {
  const form = document.querySelector('form[data-lint]');
  const out = document.getElementById('hints');
  const csrf = document.querySelector('meta[name="csrf-token"]');
  if (!form || !out || !csrf) return;
  const lang = document.documentElement.lang.startsWith('zh') ? 'zh' : 'en';
  const num = (v) => (v === null || String(v).trim() === '' || isNaN(Number(v)) ? undefined : Number(v));
  let timer = null;
  let seq = 0;
  function draft() {
    const fd = new FormData(form);
    const krs = [];
    for (let i = 0; i < 4; i++) {
      const title = String(fd.get('kr' + i + '_title') || '').trim();
      if (title) krs.push({ title, baseline: num(fd.get('kr' + i + '_baseline')), target: num(fd.get('kr' + i + '_target')) });
    }
    return { objectives: [{ title: String(fd.get('title') || ''), kind: String(fd.get('kind') || ''), key_results: krs }] };
  }
  function label(target) {
    const m = /key_results\[(\d+)\]/.exec(target);
    if (m) return (lang === 'zh' ? '关键结果 ' : 'Key result ') + (Number(m[1]) + 1);
    return lang === 'zh' ? '目标' : 'Objective';
  }
  async function run() {
    const mine = ++seq;
    const body = draft();
    if (!body.objectives[0].title.trim()) return;
    try {
      const r = await fetch('/api/v1/lint', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf.content, 'accept-language': lang },
        body: JSON.stringify(body),
      });
      if (!r.ok || mine !== seq) return;
      const { findings } = await r.json();
      // Findings refer to the KRs that have a title; map them back to the form's rows.
      const rows = [];
      for (let i = 0; i < 4; i++) if (String(new FormData(form).get('kr' + i + '_title') || '').trim()) rows.push(i);
      out.replaceChildren();
      if (!findings.length) {
        const ok = document.createElement('p');
        ok.className = 'hints-ok';
        ok.textContent = out.dataset.ok || '';
        out.append(ok);
        return;
      }
      const ul = document.createElement('ul');
      ul.className = 'hints';
      for (const f of findings) {
        const li = document.createElement('li');
        li.dataset.rule = f.rule;
        const m = /key_results\[(\d+)\]/.exec(f.target);
        const where = m ? label('key_results[' + rows[Number(m[1])] + ']') : label(f.target);
        const strong = document.createElement('strong');
        strong.textContent = where + '：';
        const msg = document.createTextNode(f.message);
        const sug = document.createElement('span');
        sug.className = 'sug';
        sug.textContent = '→ ' + f.suggestion;
        li.append(strong, msg, sug);
        ul.append(li);
      }
      out.append(ul);
    } catch (_) { /* offline or signed out: the check button still works */ }
  }
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 350); });
  run();
})();

// Alignment map: fold and unfold a node's subtree.
(function () {
  const svg = document.querySelector('svg.amap');
  if (!svg) return;
  const kids = {};
  svg.querySelectorAll('g.node').forEach((g) => {
    const p = g.dataset.parent;
    if (p) (kids[p] = kids[p] || []).push(g.dataset.id);
  });
  function setFolded(id, folded) {
    for (const k of kids[id] || []) {
      svg.querySelector('g.node[data-id="' + k + '"]').classList.toggle('folded', folded);
      const edge = svg.querySelector('path[data-child="' + k + '"]');
      if (edge) edge.classList.toggle('folded', folded);
      const t = svg.querySelector('g.toggle[data-toggle="' + k + '"]');
      // A folded child's own subtree stays hidden; unfolding shows it as the child left it.
      if (folded || !t || t.dataset.closed !== '1') setFolded(k, folded);
    }
  }
  svg.querySelectorAll('g.toggle').forEach((t) => {
    t.addEventListener('click', (e) => {
      e.preventDefault();
      const closed = t.dataset.closed === '1';
      t.dataset.closed = closed ? '0' : '1';
      t.querySelector('text').textContent = closed ? '−' : '+';
      setFolded(t.dataset.toggle, !closed);
    });
  });
})();

// Cause types suggested as a retro's causes are typed: the type and 主观/客观 are filled in when
// still empty, and the words that decided them are shown under the row. The person may change
// them; without JavaScript they are chosen by hand.
(function () {
  const form = document.getElementById('retro-form');
  const csrf = document.querySelector('meta[name="csrf-token"]');
  if (!form || !csrf) return;
  const lang = document.documentElement.lang.startsWith('zh') ? 'zh' : 'en';
  for (const row of form.querySelectorAll('.retro-row.cause')) {
    const text = row.querySelector('input[name^="cause_text_"]');
    const kind = row.querySelector('select[name^="cause_type_"]');
    const locus = row.querySelector('select[name^="cause_locus_"]');
    const note = row.parentElement.querySelector('[data-suggest-for="' + text.name + '"]');
    if (!text || !kind || !locus || !note) continue;
    let timer = null;
    let seq = 0;
    const touched = { kind: kind.value !== '', locus: locus.value !== '' };
    kind.addEventListener('change', () => { touched.kind = true; });
    locus.addEventListener('change', () => { touched.locus = true; });
    text.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        const t = text.value.trim();
        if (t.length < 4) { note.textContent = ''; return; }
        try {
          const r = await fetch('/api/v1/retros/classify', {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf.content, 'accept-language': lang },
            body: JSON.stringify({ texts: [t] }),
          });
          if (!r.ok || mine !== seq) return;
          const s = (await r.json()).items[0];
          if (!touched.kind) kind.value = s.type;
          if (!touched.locus) locus.value = s.cause;
          const typeLabel = kind.querySelector('option[value="' + s.type + '"]');
          note.textContent = (note.dataset.label || '') + (typeLabel ? typeLabel.textContent : s.type)
            + (s.because.length ? '（' + s.because.join('、') + '）' : '');
        } catch (e) { /* the form still works by hand */ }
      }, 350);
    });
  }
})();

// Lessons from earlier cycles beside the drafting form, closest to what is being typed.
(function () {
  const form = document.querySelector('form[data-lint]');
  const list = document.getElementById('related-lessons-list');
  if (!form || !list) return;
  let timer = null;
  let seq = 0;
  form.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      const fd = new FormData(form);
      const words = [fd.get('title')].concat([0, 1, 2, 3].map((i) => fd.get('kr' + i + '_title')))
        .map((v) => String(v || '').trim()).filter(Boolean).join(' ');
      if (!words) return;
      try {
        const r = await fetch('/api/v1/lessons?limit=3&q=' + encodeURIComponent(words), { credentials: 'same-origin' });
        if (!r.ok || mine !== seq) return;
        const { items } = await r.json();
        list.replaceChildren(...items.map((l) => {
          const li = document.createElement('li');
          const a = document.createElement('a');
          a.className = 'small';
          a.href = '/objectives/' + l.objective + '/retro';
          a.textContent = l.objective_title;
          li.append(document.createTextNode(l.text + ' '), a);
          return li;
        }));
      } catch (e) { /* the panel keeps what the server showed */ }
    }, 400);
  });
})();

// On a phone the sections scroll sideways: bring the current one into view.
(() => {
  const on = document.querySelector('.topbar nav a.on');
  const nav = on && on.parentElement;
  if (nav && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = on.offsetLeft - (nav.clientWidth - on.offsetWidth) / 2;
  }
})();

// The check-in's confidence slider shows its number; a link from "owed this week"
// (`?check_in=<key result>`) opens that key result's check-in, scrolled into view.
(() => {
  document.querySelectorAll('input[type=range][data-output]').forEach((r) => {
    const out = document.getElementById(r.dataset.output);
    if (out) r.addEventListener('input', () => { out.textContent = r.value; });
  });
  const kr = new URLSearchParams(location.search).get('check_in');
  const item = kr && /^\d+$/.test(kr) && document.getElementById(`kr-${kr}`);
  const sheet = item && item.querySelector('details.checkin');
  if (sheet) {
    sheet.open = true;
    // Once the opened sheet is laid out: scroll to the key result, ready to type.
    requestAnimationFrame(() => {
      item.scrollIntoView({ block: 'start' });
      const value = sheet.querySelector('input[name=value]');
      if (value) value.focus({ preventScroll: true });
    });
  }
})();

// A destructive form says what it will do and waits for a yes (data-confirm on the form).
document.addEventListener('submit', (e) => {
  const message = e.target instanceof HTMLFormElement ? e.target.dataset.confirm : undefined;
  if (message && !window.confirm(message)) e.preventDefault();
});

// Pickers: a search box beside a select of many (objectives, people, units, metrics) works as a
// GET form without JavaScript; with it, typing fills the select from /pick/{kind} as you go.
(function () {
  for (const input of document.querySelectorAll('input[data-pick]')) {
    const select = document.getElementById(input.dataset.pickFor);
    if (!select) continue;
    let timer = null;
    let seq = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        const url = '/pick/' + encodeURIComponent(input.dataset.pick) + '?q=' + encodeURIComponent(input.value) +
          (input.dataset.pickOf && input.dataset.pickOf !== '0' ? '&of=' + encodeURIComponent(input.dataset.pickOf) : '');
        try {
          const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
          if (!res.ok || mine !== seq) return;
          const { options } = await res.json();
          // Keep the empty choice and the current one; the rest is what the search found.
          const keep = [...select.options].filter((o) => o.value === '' || o.selected);
          select.replaceChildren(...keep);
          for (const [id, label] of options) {
            if (keep.some((o) => o.value === String(id))) continue;
            select.append(new Option(label, String(id)));
          }
          if (!select.value && select.required && select.options.length) select.selectedIndex = 0;
        } catch (_) { /* the search button still works */ }
      }, 200);
    });
  }
})();
