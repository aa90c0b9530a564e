// Browser test of the web console, run by tests/runtime/console_browser_test.c against the real
// daemon loaded with generated Northwind data. playwright-core drives Debian's chromium; every
// step acts through the page as a user would (clicks and typing), and checks through the API.
// Env: AURUM_URL, AURUM_ADMIN_KEY, AURUM_READ_KEY, AURUM_TRUTH (truth.csv of `aurum gen`),
// AURUM_OUT (screenshots). Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFileSync, readdirSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

const URL_ = process.env.AURUM_URL;
const ADMIN = process.env.AURUM_ADMIN_KEY;
const READ = process.env.AURUM_READ_KEY;
const OUT = process.env.AURUM_OUT || 'build/console-screenshots';
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith('.png')) rmSync(join(OUT, f)); // this run's only
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Each step with the seconds since the script started: where the test's minutes go (the
// runtime pass's slowest test, docs/BENCHMARKS.md "The test run's time budget").
const t0 = Date.now();
const step = (m) => console.log(`console test: [${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);

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

// The customer of the demo story: held by billing and collections (and three or more systems
// in all), with orders, a payment, a dunning case and a support ticket on the timeline when the
// data has one (else the closest: events from three or more systems).
async function pickCustomer() {
  const lines = readFileSync(process.env.AURUM_TRUTH, 'utf8').trim().split('\n').slice(1);
  const by = new Map();
  for (const l of lines) { const [s, r, p] = l.split(','); if (!by.has(p)) by.set(p, []); by.get(p).push([s, r]); }
  let best = null;
  for (const recs of by.values()) {
    const systems = new Set(recs.map((x) => x[0]));
    if (systems.size < 3 || !systems.has('billing') || !systems.has('collections')) continue;
    const [s, r] = recs[0];
    const p = (await apiGet(`/v1/profiles?source=${s}&record=${encodeURIComponent(r)}`)).profiles[0];
    if (new Set(p.sources.map((x) => x.source)).size < 3) continue;
    const tl = await apiGet(`/v1/profiles/${p.id}/timeline?limit=500`);
    if (new Set(tl.events.map((e) => e.source)).size < 3) continue;
    const types = new Set(tl.events.map((e) => e.type));
    const score = ['order', 'payment', 'dunning_case_opened', 'ticket_opened'].filter((t) => types.has(t)).length;
    const c = { p, score, billing: recs.find((x) => x[0] === 'billing')[1], collections: recs.find((x) => x[0] === 'collections')[1] };
    if (!best || score > best.score) best = c;
    if (score === 4) break;
  }
  if (!best) throw new Error('no customer in billing, collections and a third system with events from three systems');
  return best;
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

// The flows' definition part of a GET /v1/flows/{name} answer (the rest is run status).
const DEF_KEYS = ['name', 'description', 'enabled', 'trigger', 'condition', 'steps', 'retry', 'concurrency'];
const defOf = (a) => Object.fromEntries(Object.entries(a).filter(([k]) => DEF_KEYS.includes(k)));

// Calls a webhook flow with its plain secret and a fresh timestamp (docs/SECRETS.md).
async function callHook(flow, secret, body) {
  const r = await fetch(`${URL_}/v1/hooks/${flow}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Aurum-Secret': secret, 'X-Aurum-Timestamp': String(Math.floor(Date.now() / 1000)) }, body: JSON.stringify(body) });
  return r.status;
}

try {
  const { p, billing, collections } = await pickCustomer();
  const name = p.attributes.full_name || `${p.attributes.first_name} ${p.attributes.last_name}`;
  const page = await newPage();
  // What the first page loads, compressed: the budget is 200 KB.
  const firstLoad = [];
  page.on('response', async (r) => { if (r.url().startsWith(URL_) && !r.url().includes('/v1/') && r.status() === 200) firstLoad.push(r); });

  step('sign in');
  await page.goto(URL_ + '/');
  await page.getByLabel('API key').fill(ADMIN);
  await snap(page, 'sign-in');
  await axeScan(page, 'sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Search customers').waitFor();
  let gz = 0, raw = 0;
  const files = [];
  for (const r of firstLoad.splice(0)) {
    const b = await r.body();
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
    files.push(r.url().replace(URL_, ''));
  }
  step(`first page: ${files.length} files (${files.join(' ')}), ${raw} bytes, ${gz} bytes gzip-compressed`);
  assert.ok(gz < 200 * 1024, `the first page is ${gz} bytes compressed, over 200 KB`);
  page.removeAllListeners('response');

  step(`search "${name}" as you type and open the 360° view of #${p.id}`);
  await page.getByLabel('Search customers').pressSequentially(name, { delay: 20 });
  await page.locator(`#results a[href="#/customers/${p.id}"]`).click();
  await page.locator('#timeline li').first().waitFor();
  const systems = await page.locator('#timeline li').evaluateAll((ls) => new Set(ls.map((l) => l.dataset.source)).size);
  assert.ok(systems >= 3, `events from ${systems} systems on the timeline`);
  // The golden record's first attribute: its lineage opens (source record, rule, alternatives).
  // (An optional click on a details "with the text lineage" used to precede this: the summaries
  // read "source · rule", so it found none and waited out the 120 s timeout in every run.)
  await page.locator('table.grid details summary').first().click();
  await page.locator('table.grid details[open] dl.lineage').first().waitFor();
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

  step('split a record off and merge it back: the whole customer again, no do-not-link left');
  const before = (await apiGet(`/v1/profiles/${p.id}`)).sources.length;
  const split = p.sources.find((s) => s.source === 'billing') || p.sources[p.sources.length - 1];
  const splitId = `${split.source}:${split.record_id}`;
  await page.locator(`button[data-split="${splitId}"]`).click();
  await snap(page, 'split-confirm');
  await confirm(page);
  const kept = p.sources.find((s) => `${s.source}:${s.record_id}` !== splitId);
  const profileOf = async (src, id) => (await apiGet(`/v1/sources/${src}/records/${encodeURIComponent(id)}/profile`)).profile;
  const idOf = (x) => (typeof x === 'object' ? x.id : x);
  await until('the split', async () => idOf(await profileOf(split.source, split.record_id)) !== idOf(await profileOf(kept.source, kept.record_id)));
  const rest = idOf(await profileOf(kept.source, kept.record_id));
  assert.equal((await apiGet(`/v1/profiles/${rest}`)).sources.length, before - 1, 'the records that stay remain one customer');
  // The split-off record is a customer of its own now; open it (the page of the old id shows
  // whichever side kept that id) and merge it back from there.
  // When the split-off record kept the old id the URL does not change (no hashchange): reload
  // so the page is drawn from the daemon's answer either way.
  await page.goto(`${URL_}/#/customers/${idOf(await profileOf(split.source, split.record_id))}`);
  await page.reload();
  await page.getByRole('heading', { name: /1 records in 1 systems/ }).waitFor();
  await page.getByLabel('Merge with').fill(`${kept.source}:${kept.record_id}`);
  await page.getByRole('button', { name: 'Merge…' }).click();
  await confirm(page);
  await until('the merge', async () => {
    const a = await profileOf(split.source, split.record_id);
    return idOf(a) === idOf(await profileOf(kept.source, kept.record_id));
  });
  const merged = idOf(await profileOf(split.source, split.record_id));
  assert.equal((await apiGet(`/v1/profiles/${merged}`)).sources.length, before, 'merged back: every record of the customer together again');
  // The split's do-not-link rules went with the merge: a new version of the split record
  // (re-evaluation) keeps it with the others.
  const doc = await apiGet(`/v1/sources/${split.source}/records/${encodeURIComponent(split.record_id)}`);
  assert.ok(doc, 'the split record reads back');
  await page.locator(`button[data-split="${kept.source}:${kept.record_id}"]`).waitFor();
  await snap(page, 'merged-back');
  const pid = merged;

  step('review queue');
  await page.goto(URL_ + '/#/review');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await snap(page, 'review');
  await axeScan(page, 'review');

  step('the demo story: build "payment in billing closes the dunning case" by clicks');
  await page.goto(URL_ + '/#/flows/new');
  await page.getByLabel('Name', { exact: true }).fill('console-payment');
  await page.getByLabel('Description').fill('Payment in billing -> close the dunning case in collections (test receiver)');
  await page.getByLabel('Trigger', { exact: true }).selectOption('event');
  await page.getByLabel('Event type').fill('payment');
  await page.getByLabel('From system').selectOption('billing');
  await page.getByRole('button', { name: 'Add a condition' }).click();
  await page.getByLabel('Field', { exact: true }).fill('event.properties.amount');
  await page.getByLabel('Operator', { exact: true }).selectOption('>');
  await page.getByLabel('Value', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Add a condition' }).click();
  await page.getByLabel('Field', { exact: true }).last().fill('first(where(profile.records, "source", "collections"))');
  await page.getByLabel('Operator', { exact: true }).last().selectOption('exists');
  const card1 = page.locator('#steps fieldset.step').first();
  await card1.getByLabel('Method').selectOption('POST');
  await card1.getByLabel(/^URL/).fill(`${target}/collections/{{ first(where(profile.records, 'source', 'collections')).record_id }}/dunning/close`);
  for (const [k, v] of [['reason', 'payment_received'], ['amount', '{{ event.properties.amount }}'], ['payment_id', '{{ event.id }}'], ['customer', '{{ profile.id }}']]) {
    await card1.getByRole('button', { name: 'Add a field (body fields)' }).click();
    await card1.getByLabel('Body fields: target field').last().fill(k);
    await card1.getByLabel('Body fields: value or template').last().fill(v);
  }
  // several steps: add two, reorder, remove one; the audit line stays as step 2
  await page.getByRole('button', { name: 'Add a step' }).click();
  const card2 = page.locator('#steps fieldset.step').nth(1);
  await card2.getByLabel('Does').selectOption('nats');
  await card2.getByLabel(/^Server URL/).fill('nats://127.0.0.1:4222');
  await page.getByRole('button', { name: 'Add a step' }).click();
  const card3 = page.locator('#steps fieldset.step').nth(2);
  await card3.getByLabel('Id', { exact: true }).fill('audit');
  await card3.getByLabel('Does').selectOption('file');
  await card3.getByLabel(/^File path/).fill(`${tmpdir()}/aurum-console-${process.pid}/payments.jsonl`);
  await card3.getByRole('button', { name: 'Add a field (line fields)' }).click();
  await card3.getByLabel('Line fields: target field').fill('payment');
  await card3.getByLabel('Line fields: value or template').fill('{{ event.id }}');
  await card3.getByRole('button', { name: '↑ Move up' }).click(); // audit before the nats step
  assert.equal(await page.locator('#steps fieldset.step').nth(1).getByLabel('Id', { exact: true }).inputValue(), 'audit', 'moved up');
  await page.locator('#steps fieldset.step').nth(2).getByRole('button', { name: 'Remove step' }).click();
  assert.equal(await page.locator('#steps fieldset.step').count(), 2, 'the nats step removed');
  await snap(page, 'builder-steps');
  await axeScan(page, 'builder');

  step('dry run: the newest match, then a chosen customer, then one of their events');
  await page.getByRole('button', { name: 'Test it (dry run)' }).click();
  await page.locator('#dry-summary, #result .error').first().waitFor();
  await page.getByLabel('Test against').selectOption('customer');
  await page.getByLabel('Find the customer').pressSequentially(name, { delay: 10 });
  await page.locator(`#test-results button[data-profile="${pid}"]`).click();
  const tl = await apiGet(`/v1/profiles/${pid}/timeline?type=payment&source=billing&limit=1`);
  const newest = tl.events[0];
  await page.getByRole('button', { name: 'Test it (dry run)' }).click();
  await until('the dry run of the chosen customer', async () => (await page.locator('#dry-summary').textContent()).includes(`event ${newest.event_id} from billing`));
  let summary = await page.locator('#dry-summary').textContent();
  assert.ok(summary.includes(`event ${newest.event_id} from billing`), `the chosen customer's newest payment: ${summary}`);
  let would = await page.locator('#result pre').first().textContent();
  assert.ok(would.includes(`/collections/${collections}/dunning/close`), `the URL names the customer's collections record: ${would}`);
  assert.ok(would.includes('"reason": "payment_received"'), `the mapped body: ${would}`);
  await page.getByLabel('Test against').selectOption('event');
  const options = await until('the customer\'s payments to pick from', async () => {
    const os = await page.locator('#test-event option').evaluateAll((x) => x.map((o) => o.value));
    return os.length && os[0] ? os : null;
  });
  const oldest = options[options.length - 1].split('\n');
  await page.getByLabel('Event', { exact: true }).selectOption(options[options.length - 1]);
  await page.getByRole('button', { name: 'Test it (dry run)' }).click();
  await until('the dry run of the chosen event', async () => (await page.locator('#dry-summary').textContent()).includes(`event ${oldest[1]} `));
  summary = await page.locator('#dry-summary').textContent();
  assert.ok(summary.includes('Condition: holds'), summary);
  assert.equal(received.length, 0, 'a dry run sends nothing');
  await snap(page, 'builder-dry-run');
  await axeScan(page, 'builder-dry-run');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#runs-h').waitFor();
  const saved = await apiGet('/v1/flows/console-payment');
  assert.deepEqual(saved.trigger, { event: { type: 'payment', source: 'billing' } });
  assert.equal(saved.condition, 'event.properties.amount > 0 and exists(first(where(profile.records, "source", "collections")))');
  assert.deepEqual(saved.steps.map((x) => Object.keys(x).find((k) => k !== 'id' && k !== 'when')), ['http', 'file']);

  step('a payment arrives in billing: the dunning case is closed, the advisor sees it all on one timeline');
  await apiPost('/v1/events', { source: 'billing', event_id: `console-ev-${Date.now()}-1`, type: 'payment', at: '2026-01-02T10:00:00Z', customer: { source: 'billing', record: billing }, properties: { amount: 42.5, currency: 'GBP' } });
  await until('the delivery', async () => received.length === 1).catch(async (e) => {
    console.error('runs:', JSON.stringify(await apiGet('/v1/flows/console-payment/runs'), null, 1).slice(0, 6000));
    throw e;
  });
  assert.equal(received[0].url, `/hook/collections/${collections}/dunning/close`);
  assert.equal(String(JSON.parse(received[0].body).amount), '42.5');
  // collections, on the close request, records the case as closed (what its system sends)
  await apiPost('/v1/events', { source: 'collections', event_id: `console-close-${Date.now()}`, type: 'dunning_case_closed', at: '2026-01-02T10:00:01Z', customer: { source: 'collections', record: collections }, properties: { reason: 'payment_received' } });
  await until('the run in the history', async () => { await page.reload(); return (await page.locator('#runs tr[data-status="delivered"]').count()) === 1; });
  await snap(page, 'flow-runs');
  await axeScan(page, 'flow');
  await page.goto(`${URL_}/#/customers/${pid}`);
  await page.locator('#timeline li').first().waitFor();
  const types = await page.locator('#timeline li').evaluateAll((ls) => [...new Set(ls.map((l) => l.dataset.type))]);
  for (const t of ['order', 'payment', 'dunning_case_opened', 'dunning_case_closed', 'ticket_opened']) assert.ok(types.includes(t), `the advisor's timeline shows ${t}: ${types}`);
  step(`the advisor's timeline: ${types.join(', ')}`);
  await snap(page, 'advisor-timeline');

  step('the target fails: a dead letter; fixed: replayed');
  await page.goto(URL_ + '/#/flows/console-payment');
  await page.locator('#runs-h').waitFor();
  failing = true;
  await apiPost('/v1/events', { source: 'billing', event_id: `console-ev-${Date.now()}-2`, type: 'payment', at: '2026-01-02T11:00:00Z', customer: { source: 'billing', record: billing }, properties: { amount: 10, currency: 'GBP' } });
  await until('the dead letter', async () => { await page.reload(); return (await page.locator('#deadletters button[data-replay]').count()) === 1; });
  await snap(page, 'dead-letter');
  failing = false;
  await page.locator('#deadletters button[data-replay]').click();
  await until('the replayed delivery', async () => received.filter((r) => !r.failing).length === 2);
  await until('no open dead letter', async () => { await page.reload(); return (await page.getByRole('heading', { name: 'Dead letters (0)' }).count()) === 1; });

  step('GET /v1/flows/{name} round-trips through the builder for every example flow');
  const defs = [];
  for (const f of ['console-payment', ...(await apiGet('/v1/flows')).flows.map((x) => x.name).filter((n) => n !== 'console-payment')]) {
    const a = await apiGet(`/v1/flows/${f}`);
    if (a.defined_in !== 'api') continue;
    await page.goto(`${URL_}/#/flows/${f}/edit`);
    await page.getByRole('button', { name: 'Save' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#runs-h').waitFor();
    const b = await apiGet(`/v1/flows/${f}`);
    assert.deepEqual(defOf(b), defOf(a), `flow ${f} unchanged by builder -> save`);
    defs.push(f);
  }
  for (const f of ['payment-closes-dunning', 'address-sync', 'complaint-to-support', 'nightly-export', 'order-events', 'crm-callback', 'email-change'])
    assert.ok(defs.includes(f), `example flow ${f} round-tripped`);
  step(`round-tripped: ${defs.join(', ')}`);
  // The webhook's stored secret survived the builder: the CRM's call is accepted and its
  // contact upserted through the flow's upsert step.
  assert.equal(await callHook('crm-callback', 'crm-callback-secret-0123456789', { id: 'console-hook-1', first: 'Web', last: 'Hook', email: 'Web.Hook@Example.com' }), 202);
  await until('the upserted contact', async () => (await fetch(`${URL_}/v1/sources/crm/records/console-hook-1`, { headers: { Authorization: `Bearer ${ADMIN}` } })).ok);
  assert.equal(await callHook('crm-callback', '********', { id: 'x' }), 401, 'the placeholder is not the secret');

  step('an edit by clicks changes exactly what was edited');
  await page.goto(`${URL_}/#/flows/address-sync/edit`);
  const warehouse = page.locator('#steps fieldset.step').first();
  await warehouse.getByRole('button', { name: '↓ Move down' }).click();
  await page.getByLabel('Attempts').fill('7');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#runs-h').waitFor();
  const as = await apiGet('/v1/flows/address-sync');
  assert.deepEqual(as.steps.map((x) => x.id), ['crm', 'warehouse']);
  assert.equal(as.retry.max_attempts, 7);

  step('schedule preview and webhook URL');
  await page.goto(`${URL_}/#/flows/nightly-export/edit`);
  await page.locator('#cron-preview li').first().waitFor();
  assert.equal(await page.locator('#cron-preview li:not(.hint)').count(), 5);
  await page.getByLabel(/^Schedule/).fill('30 6 * * MON-FRI');
  const first = await page.locator('#cron-preview li').first().textContent();
  assert.ok(/^(Monday|Tuesday|Wednesday|Thursday|Friday) .* 06:30 UTC$/.test(first), `a readable next run: ${first}`);
  await snap(page, 'builder-schedule');
  await axeScan(page, 'builder-schedule');
  await page.goto(`${URL_}/#/flows/crm-callback/edit`);
  await page.locator('#hook-url').waitFor();
  assert.equal(await page.locator('#hook-url').textContent(), `${URL_}/v1/hooks/crm-callback`);
  await page.getByRole('button', { name: 'Generate a secret' }).click();
  assert.equal((await page.getByLabel('Secret shared with the caller').inputValue()).length, 48);
  await snap(page, 'builder-webhook');
  await axeScan(page, 'builder-webhook');

  step('flows list, sources and quality, activity');
  await page.goto(URL_ + '/#/flows');
  await page.locator('#flows').waitFor();
  await snap(page, 'flows');
  await axeScan(page, 'flows');
  // two dirty values arrive, so the ledger has something to chart
  await apiPost('/v1/sources/crm/records', [{ customer_id: 'console-dirty-1', first_name: 'Dirty', last_name: 'Date', dob: '31/02/1990', email: 'not-an-email' }]);
  await page.goto(URL_ + '/#/sources');
  await page.getByRole('heading', { name: 'Sources and quality' }).waitFor();
  const bars = await page.locator('#quality figure.chart svg[role=img]').first().getAttribute('aria-label');
  assert.ok(/crm · date_of_birth · date_\w+ 1/.test(bars) && bars.includes('crm · email · email_invalid 1'), `the quarantine chart's text names each bar: ${bars}`);
  assert.ok(await page.locator('#quality figure.chart').nth(1).getByText('Values arriving per day').count(), 'the per-day chart');
  assert.ok((await page.locator('section.card[data-source=crm] h3').textContent()).includes('records'), 'record count per source');
  await page.locator('#generic').waitFor();
  await snap(page, 'sources');
  await axeScan(page, 'sources');
  await page.goto(URL_ + '/#/activity');
  await page.locator('#metrics tbody').waitFor();
  await page.locator('#charts svg[role=img]').nth(7).waitFor();
  const recordsBefore = Number(await page.locator('#metrics tr[data-measure=records] td').first().textContent());
  await apiPost('/v1/sources/crm/records', [{ customer_id: 'console-live-1', first_name: 'Live', last_name: 'Feed', email: 'live.feed@example.com' }]);
  await page.locator('#feed li').first().waitFor();
  await until('the ingest counter', async () => Number(await page.locator('#metrics tr[data-measure=records] td').first().textContent()) > recordsBefore);
  const labels = await page.locator('#charts svg[role=img]').evaluateAll((ss) => ss.map((x) => x.getAttribute('aria-label')));
  assert.ok(labels.every((l) => /now [\d.]+ per s, peak/.test(l)), `every chart has a text alternative: ${labels}`);
  await snap(page, 'activity');
  await axeScan(page, 'activity');

  step('a read-only key sees no write actions');
  const rp = await newPage();
  await rp.goto(`${URL_}/#key=${encodeURIComponent(READ)}`);
  await rp.getByLabel('Search customers').waitFor();
  assert.ok(!(await rp.url()).includes(READ), 'the key leaves the address bar');
  await rp.goto(`${URL_}/#/customers/${pid}`);
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
  rmSync(`${tmpdir()}/aurum-console-${process.pid}`, { recursive: true, force: true });
}
