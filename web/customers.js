// Customers: search as you type, the 360° view (golden record with lineage, source records side
// by side, one timeline across systems, "why" as a table), merge / split / do-not-link with
// confirmation, and the review queue of possible matches.
import { h, api, show, errorBox, canWrite, fmtTime, confirmDialog, toast } from './app.js';

let searchSeq = 0;

// What the typed text looks like decides the lookup: e-mail, phone, SYSTEM:ID, or a name.
function lookupPath(q) {
  if (q.includes('@')) return `/v1/profiles?email=${encodeURIComponent(q)}`;
  const sys = q.match(/^([a-z_]+):(.+)$/);
  if (sys) return `/v1/profiles?source=${encodeURIComponent(sys[1])}&record=${encodeURIComponent(sys[2])}`;
  if (/^[+\d][\d\s()-]{5,}$/.test(q)) return `/v1/profiles?phone=${encodeURIComponent(q)}`;
  return `/v1/profiles/search?q=${encodeURIComponent(q)}&limit=20`;
}

async function runSearch(q, list) {
  const seq = ++searchSeq;
  if (q.trim().length < 2) { list.replaceChildren(); return; }
  let rows = [];
  try {
    const r = await api('GET', lookupPath(q.trim()));
    rows = r.profiles || [];
  } catch (e) {
    if (e.status !== 404) { if (seq === searchSeq) list.replaceChildren(errorBox(e)); return; }
  }
  if (seq !== searchSeq) return; // a newer keystroke answered first
  list.replaceChildren(...(rows.length ? rows.map((p) => {
    const a = p.attributes || {};
    const name = p.name || a.full_name || [a.first_name, a.last_name].filter(Boolean).join(' ');
    return h('li', {}, h('a', { href: `#/customers/${p.id}` }, name || `Profile ${p.id}`),
      h('span.muted', {}, ` · ${a.email || ''} ${a.phone || ''} ${a.city || ''} · #${p.id}`));
  }) : [h('li.muted', {}, 'No customer found.')]));
}

export function customersPage(initial) {
  const list = h('ul.results', { 'aria-live': 'polite', id: 'results' });
  let timer = null;
  const input = h('input', {
    id: 'search', type: 'search', value: initial, autocomplete: 'off',
    placeholder: 'Name, e-mail, phone or system:id (crm:C123)',
    oninput: () => { clearTimeout(timer); timer = setTimeout(() => runSearch(input.value, list), 150); },
  });
  show(h('h1', {}, 'Customers'),
    h('div.field', {}, h('label', { for: 'search' }, 'Search customers'), input), list);
  input.focus();
  if (initial) runSearch(initial, list);
}

const rec = (r) => `${r.source}:${r.record_id || r.record}`;

async function loadRecords(sources) {
  return Promise.all(sources.map(async (s) => {
    try {
      const r = await api('GET', `/v1/sources/${encodeURIComponent(s.source)}/records/${encodeURIComponent(s.record_id)}`);
      return { ...s, doc: r };
    } catch { return { ...s, doc: null }; }
  }));
}

function goldenSection(p, records) {
  const lin = p.lineage || {};
  const rows = [];
  const attrs = { ...(p.attributes || {}) };
  for (const [k, v] of Object.entries(p.custom || {})) attrs[`custom.${k}`] = v;
  for (const [k, v] of Object.entries(attrs)) {
    const l = lin[k] || {};
    const alts = [];
    for (const r of records) {
      const a = r.doc && (k.startsWith('custom.') ? { value: (r.doc.custom || {})[k.slice(7)] }
        : (r.doc.attributes || {})[k]);
      if (a && a.value !== undefined && a.value !== null && String(a.value) !== String(v))
        alts.push(`${a.value} (${rec(r)})`);
    }
    rows.push(h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(v)),
      h('td', {}, h('details', {}, h('summary', {}, l.source ? `${l.source} · ${l.rule || ''}` : 'lineage'),
        h('dl.lineage', {},
          h('dt', {}, 'Source record'), h('dd', {}, l.source ? `${l.source}:${l.record_id} v${l.version}` : '—'),
          h('dt', {}, 'Rule'), h('dd', {}, `${l.rule || '—'}${l.support ? ` (support ${l.support})` : ''}`),
          h('dt', {}, 'At'), h('dd', {}, fmtTime(l.at)),
          h('dt', {}, 'Alternatives'), h('dd', {}, alts.length ? alts.join('; ') : 'none'))))));
  }
  return h('section', { 'aria-labelledby': 'golden-h' }, h('h2', { id: 'golden-h' }, 'Golden record'),
    h('table.grid', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Attribute'),
      h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Where it came from (rule)'))),
    h('tbody', {}, rows)));
}

function recordsSection(p, records, reload) {
  const keys = new Set();
  for (const r of records) for (const k of Object.keys((r.doc && r.doc.attributes) || {})) keys.add(k);
  const golden = p.attributes || {};
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Attribute'),
    records.map((r) => h('th', { scope: 'col' }, rec(r))));
  const body = [...keys].map((k) => h('tr', {}, h('th', { scope: 'row' }, k), records.map((r) => {
    const a = r.doc && r.doc.attributes[k];
    if (!a) return h('td.muted', {}, '—');
    const differs = golden[k] !== undefined && String(a.value) !== String(golden[k]);
    return h(differs ? 'td.diff' : 'td', { title: differs ? 'differs from the golden record' : null },
      differs ? h('span.mark', { 'aria-label': 'differs' }, '≠ ') : null, String(a.value ?? a.raw ?? ''),
      a.status && a.status !== 'valid' ? h('span.badge', {}, a.status) : null);
  })));
  const actions = canWrite() ? h('tr', {}, h('th', { scope: 'row' }, 'Actions'), records.map((r) =>
    h('td', {}, records.length > 1 ? h('button.danger', {
      type: 'button', 'data-split': rec(r),
      onclick: async () => {
        if (!await confirmDialog('Split this record off?',
          `${rec(r)} becomes its own customer and is kept apart from the others (a cannot-link).`, 'Split off')) return;
        try {
          await api('POST', `/v1/profiles/${p.id}/split`, { records: [{ source: r.source, record: r.record_id }] });
          toast(`${rec(r)} split off`); reload();
        } catch (e) { toast(e.message); }
      },
    }, 'Split off') : null))) : null;
  return h('section', { 'aria-labelledby': 'records-h' }, h('h2', { id: 'records-h' }, 'Source records side by side'),
    h('p.hint', {}, 'Cells marked ≠ differ from the golden record.'),
    h('div.scroll', {}, h('table.grid', {}, h('thead', {}, head), h('tbody', {}, body, actions))));
}

function timelineSection(events) {
  const systems = [...new Set(events.map((e) => e.source))].sort();
  const types = [...new Set(events.map((e) => e.type))].sort();
  const sys = h('select', { id: 'tl-system' }, h('option', { value: '' }, 'All systems'),
    systems.map((s) => h('option', { value: s }, s)));
  const typ = h('select', { id: 'tl-type' }, h('option', { value: '' }, 'All types'),
    types.map((s) => h('option', { value: s }, s)));
  const list = h('ol.timeline', { id: 'timeline' });
  const render = () => list.replaceChildren(...events
    .filter((e) => (!sys.value || e.source === sys.value) && (!typ.value || e.type === typ.value))
    .map((e) => h('li', { 'data-source': e.source, 'data-type': e.type }, h('time', { datetime: e.at }, fmtTime(e.at)),
      h('span.sys', {}, e.source), h('strong', {}, e.type),
      h('span.props', {}, Object.entries(e.properties || {}).slice(0, 6)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ')))));
  sys.onchange = render; typ.onchange = render;
  render();
  return h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, `Timeline (${systems.length} systems)`),
    h('div.filters', {}, h('label', { for: 'tl-system' }, 'System'), sys, h('label', { for: 'tl-type' }, 'Type'), typ),
    list);
}

function whySection(ex) {
  const members = (ex && ex.members) || [];
  return h('section', { 'aria-labelledby': 'why-h', id: 'why' }, h('h2', { id: 'why-h' }, 'Why these records are one customer'),
    members.length < 2 ? h('p', {}, 'This customer has a single record.') : members.map((m) => {
      const l = m.best_link || {};
      const cmp = (l.comparisons || []).filter((c) => c.level >= 0);
      const max = Math.max(1, ...cmp.map((c) => Math.abs(c.weight)));
      return h('details.why', {}, h('summary', {}, `${rec(m.record)} ↔ ${l.b ? rec(l.b) : '—'}: `,
        l.rule ? `rule ${l.rule}, ` : '', `total weight ${(l.total ?? 0).toFixed(1)}, `,
        `probability ${((l.probability ?? 0) * 100).toFixed(1)} %, ${l.decision || ''}`,
        l.override ? ` (manual ${l.override})` : ''),
      h('table.grid', {}, h('thead', {}, h('tr', {}, ['Compared', 'Result', 'Weight', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, cmp.map((c) => h('tr', {}, h('th', { scope: 'row' }, c.column), h('td', {}, c.label),
          h('td.num', {}, (c.weight >= 0 ? '+' : '') + c.weight.toFixed(2)),
          h('td', {}, h('span', { class: c.weight >= 0 ? 'bar pos' : 'bar neg', style: null,
            'data-w': Math.round(Math.abs(c.weight) / max * 10) }, c.weight >= 0 ? 'for' : 'against')))),
        h('tr', {}, h('th', { scope: 'row' }, 'prior'), h('td', {}, 'how rare a match is'), h('td.num', {}, (l.prior_weight ?? 0).toFixed(2)), h('td', {})))));
    }));
}

function actionsSection(p, records, reload) {
  if (!canWrite()) return null;
  const other = h('input', { id: 'merge-with', placeholder: 'profile id or system:id' });
  const a = h('select', { id: 'dnl-a' }, records.map((r) => h('option', { value: rec(r) }, rec(r))));
  const b = h('input', { id: 'dnl-b', placeholder: 'system:id' });
  const target = (v) => /^\d+$/.test(v) ? Number(v) : { source: v.split(':')[0], record: v.split(':').slice(1).join(':') };
  return h('section', { 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, 'Manual decisions'),
    h('form.inline', { onsubmit: async (ev) => {
      ev.preventDefault();
      if (!other.value.trim()) return;
      if (!await confirmDialog('Merge customers?', `${other.value} will be merged into customer #${p.id}; the decision is kept in later re-evaluations, and any do-not-link rule between the two (a split's) is removed.`, 'Merge')) return;
      try { await api('POST', `/v1/profiles/${p.id}/merge`, { with: target(other.value.trim()) }); toast('Merged'); reload(); } catch (e) { toast(e.message); }
    } }, h('label', { for: 'merge-with' }, 'Merge with'), other, h('button', { type: 'submit' }, 'Merge…')),
    h('form.inline', { onsubmit: async (ev) => {
      ev.preventDefault();
      if (!b.value.includes(':')) return;
      if (!await confirmDialog('Never link these records?', `${a.value} and ${b.value} will be kept apart.`, 'Do not link')) return;
      const [as, ...ar] = a.value.split(':'); const [bs, ...br] = b.value.split(':');
      try { await api('POST', '/v1/overrides', { a: { source: as, record: ar.join(':') }, b: { source: bs, record: br.join(':') }, kind: 'cannot_link' }); toast('Saved: do not link'); reload(); } catch (e) { toast(e.message); }
    } }, h('label', { for: 'dnl-a' }, 'Do not link'), a, h('label', { for: 'dnl-b' }, 'with'), b, h('button', { type: 'submit' }, 'Do not link…')));
}

export async function profilePage(id) {
  show(h('p', {}, 'Loading customer…'));
  const p = await api('GET', `/v1/profiles/${id}?lineage=1`);
  if (p.id !== id) { location.hash = `#/customers/${p.id}`; return; } // merged away
  const [records, tl, ex] = await Promise.all([
    loadRecords(p.sources || []),
    api('GET', `/v1/profiles/${id}/timeline?limit=500`).catch(() => ({ events: [] })),
    api('GET', `/v1/profiles/${id}/explain`).catch(() => null)]);
  const a = p.attributes || {};
  const reload = () => profilePage(id);
  show(h('p', {}, h('a', { href: '#/customers' }, '← Search')),
    h('h1', {}, a.full_name || [a.first_name, a.last_name].filter(Boolean).join(' ') || `Customer #${id}`,
      h('span.muted', {}, ` #${id} · ${records.length} records in ${new Set(records.map((r) => r.source)).size} systems`)),
    goldenSection(p, records), recordsSection(p, records, reload), timelineSection(tl.events || []),
    whySection(ex), actionsSection(p, records, reload));
}

export async function reviewPage() {
  const r = await api('GET', '/v1/review?limit=100');
  const items = r.items || [];
  const decide = async (it, kind, row) => {
    try { await api('POST', '/v1/overrides', { a: it.a, b: it.b, kind }); row.remove(); toast(kind === 'must_link' ? 'Linked' : 'Kept apart'); } catch (e) { toast(e.message); }
  };
  const open = async (r2) => {
    try { const x = await api('GET', `/v1/sources/${encodeURIComponent(r2.source)}/records/${encodeURIComponent(r2.record)}/profile`); location.hash = `#/customers/${x.profile.id || x.profile}`; } catch (e) { toast(e.message); }
  };
  show(h('h1', {}, 'Review queue'), h('p.hint', {}, 'Possible matches the matcher was not sure about, strongest first.'),
    items.length ? h('table.grid', {}, h('thead', {}, h('tr', {}, ['Record A', 'Record B', 'Weight', 'Decision'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items.map((it) => {
        const row = h('tr', {}, h('td', {}, h('button.link', { type: 'button', onclick: () => open(it.a) }, rec(it.a))),
          h('td', {}, h('button.link', { type: 'button', onclick: () => open(it.b) }, rec(it.b))),
          h('td.num', {}, (it.weight ?? 0).toFixed(2)),
          h('td', {}, canWrite() ? [h('button', { type: 'button', onclick: () => decide(it, 'must_link', row) }, 'Accept (same person)'), ' ',
            h('button', { type: 'button', onclick: () => decide(it, 'cannot_link', row) }, 'Reject')] : 'read only'));
        return row;
      }))) : h('p', {}, 'Nothing to review.'));
}
