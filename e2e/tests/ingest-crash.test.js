// Durability of ingestion against a real process: batches are pushed back to back while the
// server is killed with SIGKILL. After a restart on the same data, every acknowledged point is
// there and no batch is there in part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTandem } from '../lib/harness.js';

const BATCH = 2000;

async function call(base, method, path, token, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

const batch = (k) => ({
  points: Array.from({ length: BATCH }, (_, i) => ({
    time: new Date(Date.UTC(2026, 9, 1) + (k * BATCH + i) * 1000).toISOString(),
    value: i,
    external_id: `b${k}-${i}`,
  })),
});

test('kill -9 during ingestion loses no acknowledged point and leaves no partial batch', async () => {
  let app = await startTandem();
  const login = await call(app.base, 'POST', '/api/v1/auth/login', null, { email: 'admin@demo.example', password: 'demo-2026' });
  const token = login.body.token;
  const metric = (await call(app.base, 'POST', '/api/v1/metrics', token, { name: 'crash-test', unit: '' })).body.id;

  // Push back to back; kill the server after a few acknowledgements, mid-stream.
  const acked = [];
  let k = 0;
  const pushing = (async () => {
    for (;;) {
      try {
        const r = await call(app.base, 'POST', `/api/v1/metrics/${metric}/points`, token, batch(k));
        if (r.status !== 200) break;
        assert.equal(r.body.inserted, BATCH);
        acked.push(k);
        k += 1;
      } catch { break; } // the connection died with the server
    }
  })();
  while (acked.length < 3) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 7));
  await app.crash();
  await pushing;
  assert.ok(acked.length >= 3, `${acked.length} batches acknowledged before the kill`);

  console.log(`acknowledged ${acked.length} batches before SIGKILL`);
  app = await startTandem({ dataDir: app.dataDir });
  try {
    const token2 = (await call(app.base, 'POST', '/api/v1/auth/login', null, { email: 'admin@demo.example', password: 'demo-2026' })).body.token;
    const held = (await call(app.base, 'GET', `/api/v1/metrics/${metric}/points?limit=1`, token2)).body.total;
    assert.equal(held % BATCH, 0, `${held} points: whole batches only`);
    assert.ok(held === acked.length * BATCH || held === (acked.length + 1) * BATCH,
      `${held} points after ${acked.length} acknowledged batches (the one in flight may have committed)`);
    // Every acknowledged batch is there in full: resending it changes nothing.
    for (const b of acked) {
      const r = await call(app.base, 'POST', `/api/v1/metrics/${metric}/points`, token2, batch(b));
      assert.deepEqual([r.status, r.body.inserted, r.body.unchanged], [200, 0, BATCH], `batch ${b}`);
    }
  } finally {
    await app.stop();
  }
});
