// Browser test of the web console, run by tests/runtime/console_browser_test.c against the real
// daemon loaded with generated Northwind data. playwright-core drives Debian's chromium; every
// step acts through the page as a user would (clicks and typing), and checks through the API.
// Env: AURUM_URL, AURUM_ADMIN_KEY, AURUM_READ_KEY, AURUM_TRUTH (truth.csv of `aurum gen`),
// AURUM_OUT (screenshots). Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const URL_ = process.env.AURUM_URL;
const ADMIN = process.env.AURUM_ADMIN_KEY;
const READ = process.env.AURUM_READ_KEY;
const OUT = process.env.AURUM_OUT || 'build/console-screenshots';
mkdirSync(OUT, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const step = (m) => console.log(`console test: ${m}`);

async function apiGet(path, key = ADMIN) {
  const r = await fetch(URL_ + path, { headers: { Authorization: `Bearer ${key}` } });
  assert.ok(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
}
async function apiPost(path, body) {
  const r = await fetch(URL_ + path, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `POST ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}
async function until(what, fn) {
  for (let i = 0; i < 300; i++) { // waits on a condition, polling; the harness bounds the run
    const v = await fn().catch(() => null);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The test receiver: answers 200, or 400 (a permanent failure: dead letter at once) when told.
const received = [];
let failing = false;
const receiver = createServer((req, res) => {
  let b = '';
  req.on('data', (c) => { b += c; });
  req.on('end', () => { received.push({ url: req.url, body: b, failing }); res.writeHead(failing ? 400 : 200, { 'Content-Type': 'application/json' }); res.end(failing ? '{"error":"target down"}' : '{"ok":true}'); });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const target = `http://127.0.0.1:${receiver.address().port}/hook`;

// A customer held by three or more systems with events from three or more systems.
async function pickCustomer() {
  const lines = readFileSync(process.env.AURUM_TRUTH, 'utf8').trim().split('\n').slice(1);
  const by = new Map();
  for (const l of lines) { const [s, r, p] = l.split(','); if (!by.has(p)) by.set(p, []); by.get(p).push([s, r]); }
  for (const recs of by.values()) {
    if (new Set(recs.map((x) => x[0])).size < 3 || !recs.some((x) => x[0] === 'billing')) continue;
    const [s, r] = recs[0];
    const p = (await apiGet(`/v1/profiles?source=${s}&record=${encodeURIComponent(r)}`)).profiles[0];
    if (new Set(p.sources.map((x) => x.source)).size < 3) continue;
    const tl = await apiGet(`/v1/profiles/${p.id}/timeline?limit=500`);
    if (new Set(tl.events.map((e) => e.source)).size < 3) continue;
    return { p, billing: recs.find((x) => x[0] === 'billing')[1] };
  }
  throw new Error('no customer in three systems with events from three systems');
}

// Each user gets a fresh profile directory: a browser of its own, sharing no cookie.
const contexts = [];
const problems = [];
async function newPage() {
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'aurum-chromium-')), {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1366, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  contexts.push(ctx);
  // A bound on waiting, not a speed claim: under the sanitizer build with other suites running,
  // a resolution after a split can take longer than Playwright's 30 s default.
  ctx.setDefaultTimeout(120000);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => d.dismiss()); // the console uses its own dialogs, never alert()
  return page;
}
let shot = 0;
async function snap(page, name) {
  await page.screenshot({ path: join(OUT, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}
async function axeScan(page, name) {
  const res = await page.evaluate(`${axeSource}; axe.run(document, { resultTypes: ['violations'] })`);
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [], `axe on ${name}`);
}
async function confirm(page) {
  await page.locator('dialog.confirm button.danger').click();
}

try {
  const { p, billing } = await pickCustomer();
  const name = p.attributes.full_name || `${p.attributes.first_name} ${p.attributes.last_name}`;
  const page = await newPage();

  step('sign in');
  await page.goto(URL_ + '/');
  await page.getByLabel('API key').fill(ADMIN);
  await snap(page, 'sign-in');
  await axeScan(page, 'sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Search customers').waitFor();

  step(`search "${name}" as you type and open the 360° view of #${p.id}`);
  await page.getByLabel('Search customers').pressSequentially(name, { delay: 20 });
  await page.locator(`#results a[href="#/customers/${p.id}"]`).click();
  await page.locator('#timeline li').first().waitFor();
  const systems = await page.locator('#timeline li').evaluateAll((ls) => new Set(ls.map((l) => l.dataset.source)).size);
  assert.ok(systems >= 3, `events from ${systems} systems on the timeline`);
  await page.locator('details', { hasText: 'lineage' }).first().locator('summary').click().catch(() => {});
  await page.locator('table.grid details summary').first().click();
  await snap(page, 'customer-360');
  await axeScan(page, 'customer-360');
  step('filter the timeline by system');
  await page.getByLabel('System', { exact: true }).selectOption('billing');
  const only = await page.locator('#timeline li').evaluateAll((ls) => ls.every((l) => l.dataset.source === 'billing'));
  assert.ok(only, 'the system filter keeps billing events only');
  await page.getByLabel('System', { exact: true }).selectOption('');

  step('open the "why" view');
  await page.locator('#why details.why summary').first().click();
  await page.locator('#why details.why[open] table').first().waitFor();
  await snap(page, 'why');

  step('split a record off and merge it back');
  const before = p.sources.length;
  const split = p.sources.find((s) => s.source === 'billing') || p.sources[p.sources.length - 1];
  const splitId = `${split.source}:${split.record_id}`;
  await page.locator(`button[data-split="${splitId}"]`).click();
  await snap(page, 'split-confirm');
  await confirm(page);
  const kept = p.sources.find((s) => `${s.source}:${s.record_id}` !== splitId);
  const profileOf = async (src, id) => (await apiGet(`/v1/sources/${src}/records/${encodeURIComponent(id)}/profile`)).profile;
  const idOf = (x) => (typeof x === 'object' ? x.id : x);
  await until('the split', async () => idOf(await profileOf(split.source, split.record_id)) !== idOf(await profileOf(kept.source, kept.record_id)));
  // The split-off record is a customer of its own now; open it (the page of the old id shows
  // whichever side kept that id) and merge it back from there.
  await page.goto(`${URL_}/#/customers/${idOf(await profileOf(split.source, split.record_id))}`);
  await page.getByRole('heading', { name: /1 records in 1 systems/ }).waitFor();
  await page.getByLabel('Merge with').fill(`${kept.source}:${kept.record_id}`);
  await page.getByRole('button', { name: 'Merge…' }).click();
  await confirm(page);
  await until('the merge', async () => {
    const a = await profileOf(split.source, split.record_id);
    return idOf(a) === idOf(await profileOf(kept.source, kept.record_id));
  });
  // The split's cannot-links to the other records stay (the daemon's rule): the merge joins
  // the two records named, which the page shows side by side again.
  await page.locator(`button[data-split="${kept.source}:${kept.record_id}"]`).waitFor();
  await snap(page, 'merged-back');

  step('review queue');
  await page.goto(URL_ + '/#/review');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await snap(page, 'review');
  await axeScan(page, 'review');

  step('build a flow by clicks, dry-run it, save it');
  await page.goto(URL_ + '/#/flows/new');
  await page.getByLabel('Name', { exact: true }).fill('console-payment');
  await page.getByLabel('Description').fill('Payment in billing -> test receiver');
  await page.getByLabel('Trigger').selectOption('event');
  await page.getByLabel('Event type').fill('payment');
  await page.getByLabel('From system').selectOption('billing');
  await page.getByRole('button', { name: 'Add a condition' }).click();
  await page.getByLabel('Field').fill('event.properties.amount');
  await page.getByLabel('Operator').selectOption('>');
  await page.getByLabel('Value', { exact: true }).fill('0');
  await page.getByLabel('Method').selectOption('POST');
  await page.getByLabel('URL').fill(target);
  for (const [k, v] of [['amount', '{{ event.properties.amount }}'], ['email', '{{ profile.email }}'], ['customer', '{{ profile.id }}']]) {
    await page.getByRole('button', { name: 'Add a field' }).click();
    await page.getByLabel('Target field').last().fill(k);
    await page.getByLabel('Value or template').last().fill(v);
  }
  await page.getByRole('button', { name: 'Test it (dry run)' }).click();
  await page.locator('#result pre, #result .error').first().waitFor();
  await snap(page, 'builder-dry-run');
  await page.locator('#result pre').first().waitFor();
  const would = await page.locator('#result pre').first().textContent();
  assert.ok(would.includes(target), `the dry run shows the URL: ${would}`);
  assert.ok(would.includes('"amount"'), `the dry run shows the mapped body: ${would}`);
  assert.equal(received.length, 0, 'a dry run sends nothing');
  await snap(page, 'builder-dry-run');
  await axeScan(page, 'builder');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#runs-h').waitFor();
  const saved = await apiGet('/v1/flows/console-payment');
  assert.deepEqual(saved.trigger, { event: { type: 'payment', source: 'billing' } });
  assert.equal(saved.condition, 'event.properties.amount > 0');

  step('a matching event is delivered and shows in the run history');
  await apiPost('/v1/events', { source: 'billing', event_id: `console-ev-${Date.now()}-1`, type: 'payment', at: '2026-01-02T10:00:00Z', customer: { source: 'billing', record: billing }, properties: { amount: 42.5, currency: 'GBP' } });
  await until('the delivery', async () => received.length === 1);
  assert.equal(String(JSON.parse(received[0].body).amount), '42.5');
  await until('the run in the history', async () => { await page.reload(); return (await page.locator('#runs tr[data-status="delivered"]').count()) === 1; });
  await snap(page, 'flow-runs');
  await axeScan(page, 'flow');

  step('the target fails: a dead letter; fixed: replayed');
  failing = true;
  await apiPost('/v1/events', { source: 'billing', event_id: `console-ev-${Date.now()}-2`, type: 'payment', at: '2026-01-02T11:00:00Z', customer: { source: 'billing', record: billing }, properties: { amount: 10, currency: 'GBP' } });
  await until('the dead letter', async () => { await page.reload(); return (await page.locator('#deadletters button[data-replay]').count()) === 1; });
  await snap(page, 'dead-letter');
  failing = false;
  await page.locator('#deadletters button[data-replay]').click();
  await until('the replayed delivery', async () => received.filter((r) => !r.failing).length === 2);
  await until('no open dead letter', async () => { await page.reload(); return (await page.getByRole('heading', { name: 'Dead letters (0)' }).count()) === 1; });

  step('GET /v1/flows/{name} round-trips through the builder');
  const defs = [];
  for (const f of ['console-payment', ...(await apiGet('/v1/flows')).flows.map((x) => x.name).filter((n) => n !== 'console-payment')]) {
    const a = await apiGet(`/v1/flows/${f}`);
    if (a.defined_in !== 'api') continue;
    await page.goto(`${URL_}/#/flows/${f}/edit`);
    await page.getByRole('button', { name: 'Save' }).waitFor();
    // secrets are never shown, so the builder asks for them again
    for (const s of await page.locator('input[type=password]').all()) await s.fill('a-new-secret-of-32-characters-xx');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#runs-h').waitFor();
    const b = await apiGet(`/v1/flows/${f}`);
    assert.deepEqual(b, a, `flow ${f} unchanged by builder -> save`);
    defs.push(f);
  }
  step(`round-tripped: ${defs.join(', ')}`);

  step('flows list, sources, activity');
  await page.goto(URL_ + '/#/flows');
  await page.locator('#flows').waitFor();
  await snap(page, 'flows');
  await axeScan(page, 'flows');
  await page.goto(URL_ + '/#/sources');
  await page.getByRole('heading', { name: 'Sources and quality' }).waitFor();
  await snap(page, 'sources');
  await axeScan(page, 'sources');
  await page.goto(URL_ + '/#/activity');
  await page.locator('#metrics tbody').waitFor();
  await apiPost('/v1/sources/crm/records', [{ customer_id: 'console-live-1', first_name: 'Live', last_name: 'Feed', email: 'live.feed@example.com' }]);
  await page.locator('#feed li').first().waitFor();
  await snap(page, 'activity');
  await axeScan(page, 'activity');

  step('a read-only key sees no write actions');
  const rp = await newPage();
  await rp.goto(`${URL_}/#key=${encodeURIComponent(READ)}`);
  await rp.getByLabel('Search customers').waitFor();
  assert.ok(!(await rp.url()).includes(READ), 'the key leaves the address bar');
  await rp.goto(`${URL_}/#/customers/${p.id}`);
  await rp.locator('#timeline li').first().waitFor();
  assert.equal(await rp.locator('button[data-split], #merge-with').count(), 0, 'no split or merge for a read key');
  await snap(rp, 'read-only-customer');
  await rp.goto(URL_ + '/#/flows/console-payment');
  await rp.locator('#runs-h').waitFor();
  assert.equal(await rp.getByRole('link', { name: 'Edit in the builder' }).count(), 0);
  await rp.goto(URL_ + '/#/flows');
  await rp.locator('#flows').waitFor();
  assert.equal(await rp.getByRole('link', { name: 'New flow' }).count(), 0);
  await snap(rp, 'read-only-flows');

  assert.deepEqual(problems, [], 'no script errors or CSP violations in the pages');
  step('all passed');
} catch (e) {
  console.error(e);
  console.error('page problems:', problems);
  for (const c of contexts) for (const pg of c.pages()) await snap(pg, 'failure').catch(() => {});
  process.exitCode = 1;
} finally {
  for (const c of contexts) await c.close();
  receiver.close();
}
