// Sources and quality: each source with its mapping onto the canonical schema, its trust and
// record count; the data-quality ledger (GET /v1/quality) as charts — quarantined values by
// attribute and reason, and per day — and the generic identifiers (GET /v1/quality/generic);
// a source's inbound connector (state, last run, "Sync now"; docs/CONNECTORS.md) when it has one.
import { h, api, show, canWrite, fmtTime, toast, errorBox } from './app.js';
import { barChart, columnChart } from './charts.js';

export async function sourcesPage() {
  const [r, q, g] = await Promise.all([api('GET', '/v1/sources'),
    api('GET', '/v1/quality?days=14').catch(() => null),
    api('GET', '/v1/quality/generic?limit=200').catch(() => null)]);
  const ledger = new Map(((q && q.sources) || []).map((x) => [x.source, x]));
  show(h('h1', {}, 'Sources and quality'),
    h('nav.toc', { 'aria-label': 'On this page' }, h('a', { href: '#q-h' }, 'Data quality'), ' · ',
      h('a', { href: '#gen-h' }, 'Generic identifiers'), ' · ', h('a', { href: '#src-h' }, 'Sources')),
    h('section', { 'aria-labelledby': 'q-h' }, h('h2', { id: 'q-h' }, 'Data quality'),
      q ? qualityView(q) : h('p', {}, 'This daemon has no quality ledger (GET /v1/quality).')),
    h('section', { 'aria-labelledby': 'gen-h' }, h('h2', { id: 'gen-h' }, 'Generic identifiers'),
      h('p.hint', {}, 'Values held by several clearly different people, or known placeholders: no longer used as evidence that two records are one person.'),
      g ? genericView(g) : h('p', {}, 'Not available.')),
    h('section', { 'aria-labelledby': 'src-h' }, h('h2', { id: 'src-h' }, `Sources (${(r.sources || []).length})`),
      (r.sources || []).map((s) => sourceCard(s, ledger.get(s.name)))));
}

function sourceCard(s, led) {
  const d = s.definition || {};
  const fields = d.fields || {};
  const attrs = new Map(((led && led.attributes) || []).map((a) => [a.attribute, a]));
  const id = `src-${s.name}`;
  return h('section.card', { 'aria-labelledby': id, 'data-source': s.name },
    h('h3', { id }, s.name, h('span.muted', {}, led ? ` · ${led.records} records` : '')),
    h('p', {}, `Record id field: ${d.record_id || '—'}`, d.trust !== undefined ? ` · trust ${typeof d.trust === 'object' ? Object.entries(d.trust).map(([k, v]) => `${k} ${v}`).join(', ') : d.trust}` : ''),
    h('table.grid', {}, h('caption', {}, `Mapping of ${s.name}`),
      h('thead', {}, h('tr', {}, ['Canonical attribute', 'Source field', 'Valid', 'Quarantined', 'Missing'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, Object.entries(fields).map(([k, v]) => {
        const a = attrs.get(k);
        return h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, typeof v === 'string' ? v : Object.entries(v).map(([x, y]) => `${x}: ${typeof y === 'string' ? y : JSON.stringify(y)}`).join(', ')),
          h('td.num', {}, a ? String(a.valid) : ''), h('td.num', {}, a ? (a.quarantined ? `⚠ ${a.quarantined}` : '0') : ''),
          h('td.num', {}, a ? String(a.missing) : ''));
      }))),
    d.inbound ? connectorView(s.name, d.inbound) : null);
}

// Quarantined values by attribute and reason (bars), and what arrived per day with how much of
// it was quarantined (columns).
function qualityView(q) {
  const bars = [];
  const days = new Map();
  for (const src of q.sources || []) {
    for (const a of src.attributes || []) {
      for (const r of a.reasons || []) bars.push({ label: `${src.source} · ${a.attribute} · ${r.reason}`, value: r.count });
      for (const d of a.days || []) {
        const x = days.get(d.day) || { arrived: 0, quarantined: 0 };
        x.arrived += d.valid + d.quarantined;
        x.quarantined += d.quarantined;
        days.set(d.day, x);
      }
    }
  }
  const total = bars.reduce((n, b) => n + b.value, 0);
  const cats = [...days.keys()].sort();
  const unlinked = q.events && q.events.unlinked;
  return h('div', { id: 'quality' },
    h('p', {}, `${total} values quarantined now, in ${bars.length} (source, attribute, reason) groups.`,
      unlinked ? ` ${unlinked} events belong to no known customer yet.` : ''),
    barChart('Quarantined values by source, attribute and reason', bars, { labelHead: 'Source · attribute · reason', valueHead: 'Values', empty: 'No value is quarantined.' }),
    cats.length ? columnChart(`Values arriving per day (last ${cats.length} days with data)`, cats,
      [{ name: 'values arrived', values: cats.map((c) => days.get(c).arrived) },
        { name: 'quarantined', values: cats.map((c) => days.get(c).quarantined) }],
      { short: (c) => c.slice(5), categoryHead: 'Day' }) : h('p.muted', {}, 'No values arrived in the period.'),
    reasonsTable(q));
}

function reasonsTable(q) {
  const rows = [];
  for (const src of q.sources || []) for (const a of src.attributes || []) for (const r of a.reasons || []) rows.push([src.source, a.attribute, r.reason, r.description || '', r.count, (r.examples || []).join(', ')]);
  if (!rows.length) return null;
  return h('table.grid', { id: 'reasons' }, h('caption', {}, 'Quarantine reasons with example records'),
    h('thead', {}, h('tr', {}, ['Source', 'Attribute', 'Reason', 'Meaning', 'Count', 'Examples'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 4 ? h('td.num', {}, String(c)) : h('td', {}, String(c))))))));
}

function genericView(g) {
  const items = g.generic || g.values || g.items || [];
  if (!items.length) return h('p', { id: 'generic' }, 'No generic identifier found.');
  return h('table.grid', { id: 'generic' }, h('caption', {}, `${items.length} generic values`),
    h('thead', {}, h('tr', {}, ['Attribute', 'Value', 'Why', 'Records'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((x) => h('tr', {}, h('td', {}, x.column || x.attribute || ''), h('td', {}, String(x.value ?? '')),
      h('td', {}, x.reason || (x.generic ? 'generic' : '')), h('td.num', {}, String(x.records ?? x.count ?? ''))))));
}

const COUNTS = ['read', 'inserted', 'updated', 'unchanged', 'quarantined', 'refused', 'deleted'];

// The source's inbound connector: filled from GET /v1/sources/{source}/sync once it answers.
function connectorView(name, inbound) {
  const box = h('div.connector', { 'aria-live': 'polite' }, h('p', {}, `Inbound connector: ${inbound.kind} — loading its state…`));
  const path = `/v1/sources/${encodeURIComponent(name)}/sync`;
  const render = (st) => {
    const run = st.last_run || {};
    const counts = run.counts || {};
    box.replaceChildren(
      h('h3', {}, `Inbound connector: ${st.kind} (${st.mode}${st.schedule ? ` ${st.schedule}` : ''})`),
      h('p', {}, `State: ${st.state}${st.failures ? ` after ${st.failures} failed run(s)` : ''}`,
        run.finished_ms ? ` · last run ended ${fmtTime(run.finished_ms)}` : '',
        st.cursor ? ` · cursor ${st.cursor}` : ''),
      run.error ? h('p.error', { role: 'alert' }, `Last error: ${run.error}`) : null,
      h('table.grid', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), COUNTS.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {},
          h('tr', {}, h('th', { scope: 'row' }, 'last run'), COUNTS.map((c) => h('td.num', {}, String(counts[c] ?? 0)))),
          h('tr', {}, h('th', { scope: 'row' }, 'all runs'), COUNTS.map((c) => h('td.num', {}, String((st.totals || {})[c] ?? 0)))))),
      canWrite() ? h('button', { type: 'button', onclick: () => syncNow() }, 'Sync now') : null);
  };
  const syncNow = async () => {
    try { render(await api('POST', `${path}?wait=60`)); toast(`${name}: sync finished`); } catch (e) { toast(e.message); }
  };
  api('GET', path).then(render, (e) => box.replaceChildren(errorBox(e)));
  return box;
}
