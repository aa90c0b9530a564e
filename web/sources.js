// Sources and quality: each source with its mapping onto the canonical schema and its trust, its
// inbound connector (state, last run, "Sync now"; docs/CONNECTORS.md) when it has one, and the
// data-quality ledger when the daemon offers one (GET /v1/quality, a newer route).
import { h, api, show, canWrite, fmtTime, toast, errorBox } from './app.js';

export async function sourcesPage() {
  const r = await api('GET', '/v1/sources');
  const q = await api('GET', '/v1/quality').catch(() => null);
  show(h('h1', {}, 'Sources and quality'),
    (r.sources || []).map((s) => {
      const d = s.definition || {};
      const fields = d.fields || {};
      return h('section.card', { 'aria-labelledby': `src-${s.name}` }, h('h2', { id: `src-${s.name}` }, s.name),
        h('p', {}, `Record id field: ${d.record_id || '—'}${d.trust !== undefined ? ` · trust ${JSON.stringify(d.trust)}` : ''}`),
        h('table.grid', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Canonical attribute'), h('th', { scope: 'col' }, 'Source field'))),
          h('tbody', {}, Object.entries(fields).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, typeof v === 'string' ? v : JSON.stringify(v)))))),
        d.inbound ? connectorView(s.name, d.inbound) : null);
    }),
    h('section', { 'aria-labelledby': 'q-h' }, h('h2', { id: 'q-h' }, 'Data quality'),
      q ? qualityView(q) : h('p', {}, 'This daemon has no quality ledger route yet (GET /v1/quality).')));
}

// Quarantined values by attribute and reason as a bar chart drawn with CSS widths, with the
// numbers written out so the chart is readable without colour or sight.
function qualityView(q) {
  const items = q.by_attribute || q.items || q.quarantined || [];
  if (!Array.isArray(items) || !items.length) return h('pre', {}, JSON.stringify(q, null, 2).slice(0, 4000));
  const max = Math.max(1, ...items.map((i) => i.count || 0));
  return h('table.grid', {}, h('thead', {}, h('tr', {}, ['Attribute', 'Reason', 'Count', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((i) => h('tr', {}, h('td', {}, i.attribute || i.field || ''), h('td', {}, i.reason || ''),
      h('td.num', {}, String(i.count ?? '')), h('td', {}, h('meter', { min: 0, max, value: i.count || 0, 'aria-label': `${i.count} values` }))))));
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
