// The flow builder: trigger, condition, steps of every kind (HTTP, PostgreSQL, NATS, file,
// upsert into a source; several, added, removed and reordered) with their field mappings, a
// dry run against the newest match or a chosen customer or event, and save. It edits the
// definition the API returns and keeps every key it does not show, so GET /v1/flows/{name} ->
// builder -> PUT changes nothing unless the user changed something. Hidden values (secrets
// shown as "********", credentials as "[redacted]") are sent back as they were shown: the
// daemon keeps the stored values in their place (docs/SECRETS.md).
import { h, api, show, fmtTime, toast } from './app.js';
import { triggerText } from './flows.js';

const ATTRS = ['first_name', 'middle_name', 'last_name', 'full_name', 'company', 'gender', 'email',
  'phone', 'date_of_birth', 'address_full', 'address_line1', 'address_line2', 'city', 'postcode',
  'state', 'country', 'national_id', 'passport', 'drivers_license'];
const KINDS = ['created', 'updated', 'merged', 'split', 'deleted', 'erased'];
const OPS = [['==', 'is'], ['!=', 'is not'], ['>', 'greater than'], ['<', 'less than'],
  ['contains', 'contains'], ['starts_with', 'starts with'], ['exists', 'is present']];
const HIDDEN = '********';

function fieldPaths(kind, props) {
  const ev = ['event.type', 'event.source', 'event.id', 'event.at', ...props.map((p) => `event.properties.${p}`)];
  const prof = ['profile.id', ...ATTRS.map((a) => `profile.${a}`), 'profile.records', 'profile.timeline'];
  const rec = ATTRS.map((a) => `record.${a}`);
  const change = ['change.kind', 'change.source', 'change.record_id', 'change.changed', 'change.version', ...ATTRS.map((a) => `change.before.${a}`)];
  if (kind === 'event') return [...ev, ...prof];
  if (kind === 'profile') return [...prof, 'record.source', 'record.record_id', ...rec, ...change];
  if (kind === 'schedule') return ['schedule.at', 'schedule.timezone'];
  if (kind === 'webhook') return ['webhook', ...props.map((p) => `webhook.${p}`)];
  return [...ev, ...prof];
}

// --- schedules: the next runs of a 5-field cron expression (UTC), for the readable preview

const DOW = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
const MON = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };
const SHORT = { '@hourly': '0 * * * *', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@weekly': '0 0 * * 0', '@monthly': '0 0 1 * *', '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *' };
function cronField(spec, lo, hi, names) {
  const set = new Set();
  const num = (x) => (names && x in names ? names[x] : Number(x));
  for (const part of spec.toUpperCase().split(',')) {
    const [range, step] = part.split('/');
    let [a, b] = range === '*' ? [lo, hi] : range.split('-').map(num);
    if (b === undefined) b = step ? hi : a;
    if (isNaN(a) || isNaN(b) || a < lo || b > (hi === 6 ? 7 : hi)) throw new Error(`cannot read "${part}" (${lo}-${hi})`);
    for (let i = a; i <= b; i += Number(step || 1)) set.add(i === 7 && hi === 6 ? 0 : i);
  }
  return set;
}
export function nextRuns(expr, from, n) {
  const f = (SHORT[expr.trim()] || expr).trim().split(/\s+/);
  if (f.length !== 5) throw new Error('a schedule has 5 fields: minute hour day month weekday');
  const [mi, ho, dm, mo, dw] = [cronField(f[0], 0, 59), cronField(f[1], 0, 23), cronField(f[2], 1, 31),
    cronField(f[3], 1, 12, MON), cronField(f[4], 0, 6, DOW)];
  // classic cron: with both day fields restricted, a day matching either fires
  const both = f[2] !== '*' && f[4] !== '*';
  const out = [];
  const t = new Date(Math.floor(from / 60000) * 60000 + 60000);
  for (let i = 0; i < 366 * 24 * 60 && out.length < n; i++, t.setTime(t.getTime() + 60000)) {
    const day = both ? dm.has(t.getUTCDate()) || dw.has(t.getUTCDay()) : dm.has(t.getUTCDate()) && dw.has(t.getUTCDay());
    if (mi.has(t.getUTCMinutes()) && ho.has(t.getUTCHours()) && day && mo.has(t.getUTCMonth() + 1)) out.push(new Date(t));
  }
  return out;
}
const WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
function readable(d) {
  return `${WEEKDAY[d.getUTCDay()]} ${fmtTime(d.getTime()).replace(/:00 UTC$/, ' UTC')}`;
}

function conditionText(rows) {
  const q = (v) => /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
  return rows.filter((r) => r.field).map((r) => r.op === 'exists' ? `exists(${r.field})`
    : r.op === 'contains' || r.op === 'starts_with' ? `${r.op}(${r.field}, ${q(r.value)})`
      : `${r.field} ${r.op} ${q(r.value)}`).join(' and ');
}

const DEFINITION_KEYS = ['name', 'description', 'enabled', 'trigger', 'condition', 'steps', 'retry',
  'concurrency'];

// --- mappings: rows of target field <- value; a value is a template (text), a number, yes/no,
// a group (nested mapping) or kept as it is (a list or null, shown read-only)

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

function mappingEditor(value, opts) {
  const wrap = h('div.mapping', { 'data-mapping': opts.name });
  const rows = h('div.rows');
  const addRow = (k, v) => {
    const type = typeof v === 'string' || v === undefined ? 'text' : typeof v === 'number' ? 'number'
      : typeof v === 'boolean' ? 'bool' : v && typeof v === 'object' && !Array.isArray(v) ? 'group' : 'kept';
    const key = h('input', { name: 'mkey', 'aria-label': `${opts.label}: target field`, value: k ?? '' });
    const typeSel = h('select', { name: 'mtype', 'aria-label': `${opts.label}: kind of value` },
      [['text', 'text or template'], ['number', 'number'], ['bool', 'yes / no'], ['group', 'group of fields'], ...(type === 'kept' ? [['kept', 'kept as is']] : [])]
        .map(([v2, l]) => h('option', { value: v2, selected: v2 === type }, l)));
    const slot = h('span.slot');
    let editor = null;
    const build = (t, init) => {
      if (t === 'text') editor = { el: h('input', { name: 'mvalue', 'aria-label': `${opts.label}: value or template`, list: 'paths', value: typeof init === 'string' ? init : '', placeholder: '{{ profile.email }}' }), get() { return this.el.value; } };
      else if (t === 'number') editor = { el: h('input', { name: 'mvalue', type: 'number', step: 'any', 'aria-label': `${opts.label}: number`, value: typeof init === 'number' ? init : '' }), get() { return Number(this.el.value); } };
      else if (t === 'bool') editor = { el: h('select', { name: 'mvalue', 'aria-label': `${opts.label}: yes or no` }, h('option', { value: 'true', selected: init === true }, 'yes (true)'), h('option', { value: 'false', selected: init === false }, 'no (false)')), get() { return this.el.value === 'true'; } };
      else if (t === 'group') { const m = mappingEditor(init && typeof init === 'object' && !Array.isArray(init) ? init : {}, { ...opts, label: `${opts.label} › ${key.value || 'group'}`, nested: true }); editor = { el: m.el, get: () => m.get() }; }
      else editor = { el: h('code.kept', {}, JSON.stringify(init)), get: () => init };
      slot.replaceChildren(editor.el);
    };
    build(type, v);
    typeSel.onchange = () => build(typeSel.value, undefined);
    const row = h('div.row.map', {}, key, h('span', { 'aria-hidden': 'true' }, '←'), typeSel, slot,
      h('button.small', { type: 'button', 'aria-label': `${opts.label}: remove field ${k || ''}`.trim(), onclick: () => row.remove() }, '✕'));
    row._get = () => [key.value.trim(), editor.get()];
    rows.append(row);
    return row;
  };
  for (const [k, v] of Object.entries(value || {})) addRow(k, v);
  wrap.append(rows, h('button.small', { type: 'button', 'data-add': opts.name, onclick: () => { const r = addRow(); r.querySelector('input').focus(); } }, opts.nested ? 'Add a field to the group' : `Add a field (${opts.label.toLowerCase()})`));
  return {
    el: wrap,
    get: () => {
      const o = {};
      for (const r of rows.children) { const [k, v] = r._get(); if (k) o[k] = v; }
      return o;
    },
  };
}

// --- step kinds: each option as it is edited; options not listed here are kept untouched

const STEP_KINDS = {
  http: { label: 'HTTP request', options: [
    ['method', 'select', 'Method', ['POST', 'PUT', 'PATCH', 'GET', 'DELETE']],
    ['url', 'text', 'URL (https://… ; templates in the path and query only)'],
    ['body', 'mapping', 'Body fields'],
    ['headers', 'mapping', 'Headers'],
    ['secret', 'secret', 'Signing secret (HMAC-SHA256, X-Aurum-Signature)'],
    ['idempotency_key', 'text', 'Idempotency key (template)'],
    ['timeout_ms', 'number', 'Time limit (ms)']] },
  postgres: { label: 'PostgreSQL row (insert or update)', options: [
    ['conninfo', 'text', 'Connection (libpq conninfo)'],
    ['table', 'text', 'Table'],
    ['key', 'list', 'Key columns (comma separated)'],
    ['columns', 'mapping', 'Columns']] },
  nats: { label: 'NATS JetStream message', options: [
    ['url', 'text', 'Server URL (nats://…)'],
    ['subject', 'text', 'Subject (template)'],
    ['body', 'mapping', 'Message fields'],
    ['timeout_ms', 'number', 'Time limit (ms)']] },
  file: { label: 'Append to a file (JSON lines)', options: [
    ['path', 'text', 'File path (absolute)'],
    ['body', 'mapping', 'Line fields']] },
  upsert_record: { label: 'Upsert a record into a source', options: [
    ['source', 'source', 'Source'],
    ['record_id', 'text', 'Record id (template)'],
    ['fields', 'mapping', 'Fields (the source\'s own field names)']] },
};
const kindOf = (st) => Object.keys(STEP_KINDS).find((k) => st && st[k] !== undefined) || null;

// One option's input; returns {el, get()} where get() answers undefined to leave the key out.
function optionInput(step, [key, type, label, choices], orig, ctx) {
  const id = nextId(`${step}-${key}`);
  const had = orig !== undefined;
  const lab = (el, hint) => h('div.opt', { 'data-opt': key }, h('label', { for: id }, label), el, hint || null);
  if (type === 'mapping') {
    const m = mappingEditor(orig && typeof orig === 'object' ? orig : {}, { name: `${step}-${key}`, label });
    return { el: h('fieldset.opt', { 'data-opt': key }, h('legend', {}, label), m.el), get: () => { const v = m.get(); return Object.keys(v).length || had ? v : undefined; } };
  }
  if (type === 'select') {
    const sel = h('select', { id }, choices.map((c) => h('option', { selected: (orig ?? choices[0]) === c }, c)));
    return { el: lab(sel), get: () => (had || sel.value !== choices[0] ? sel.value : undefined) };
  }
  if (type === 'source') {
    const names = [...new Set([...ctx.sources, ...(orig ? [orig] : [])])];
    const sel = h('select', { id }, h('option', { value: '' }, 'choose a source'), names.map((c) => h('option', { value: c, selected: orig === c }, c)));
    return { el: lab(sel), get: () => sel.value || undefined };
  }
  if (type === 'number') {
    const inp = h('input', { id, type: 'number', min: 1, value: orig ?? '' });
    return { el: lab(inp), get: () => (inp.value === '' ? undefined : Number(inp.value)) };
  }
  if (type === 'list') {
    const inp = h('input', { id, value: Array.isArray(orig) ? orig.join(', ') : '' });
    return { el: lab(inp), get: () => { const v = inp.value.split(',').map((x) => x.trim()).filter(Boolean); return v.length || had ? v : undefined; } };
  }
  if (type === 'secret') {
    // A stored secret is shown as "********" and sent back as it is: the daemon keeps it.
    const inp = h('input', { id, type: 'password', autocomplete: 'new-password', placeholder: orig === HIDDEN ? 'stored: leave empty to keep it' : 'none' });
    return { el: lab(inp, h('p.hint', {}, orig === HIDDEN ? 'A secret is stored; type a new one to replace it.' : 'Optional; at least 16 characters.')),
      get: () => (inp.value ? inp.value : orig) };
  }
  const inp = h('input', { id, value: orig ?? '', list: 'paths', class: 'wide' });
  return { el: lab(inp), get: () => (inp.value === '' && !had ? undefined : inp.value) };
}

// A step card: id, kind, "only when", the kind's options, move up/down, remove.
function stepCard(orig, ctx, list) {
  const st = structuredClone(orig || { http: { method: 'POST' } });
  const card = h('fieldset.step', {});
  const idIn = h('input', { id: nextId('step-id'), value: st.id || '', name: 'step-id', placeholder: 'step id (optional)' });
  const whenIn = h('input', { id: nextId('step-when'), value: st.when || '', name: 'step-when', class: 'wide', list: 'fields', placeholder: 'expression, e.g. change.source != "crm"' });
  const kindSel = h('select', { id: nextId('step-kind'), name: 'step-kind' }, Object.entries(STEP_KINDS).map(([k, v]) => h('option', { value: k, selected: k === kindOf(st) }, v.label)));
  const body = h('div.step-options');
  const kept = {}; // options per kind while the user switches kinds
  let inputs = [];
  const build = () => {
    const k = kindSel.value;
    const origOpts = kept[k] || (st[k] && typeof st[k] === 'object' ? st[k] : {});
    inputs = STEP_KINDS[k].options.map((o) => [o[0], optionInput(idIn.id, o, origOpts[o[0]], ctx)]);
    body.replaceChildren(...inputs.map(([, x]) => x.el));
    body._orig = origOpts;
  };
  kindSel.onchange = build;
  build();
  const legend = h('legend', {}, 'Step');
  const move = (d) => {
    const sib = d < 0 ? card.previousElementSibling : card.nextElementSibling;
    if (!sib) return;
    if (d < 0) list.insertBefore(card, sib); else list.insertBefore(sib, card);
    renumber(list);
    card.querySelector('button[data-move="' + (d < 0 ? 'up' : 'down') + '"]')?.focus();
  };
  card.append(legend,
    h('div.row', {}, h('label', { for: idIn.id }, 'Id'), idIn, h('label', { for: kindSel.id }, 'Does'), kindSel),
    h('div.opt', {}, h('label', { for: whenIn.id }, 'Only when (optional)'), whenIn),
    body,
    h('div.buttons', {}, h('button.small', { type: 'button', 'data-move': 'up', onclick: () => move(-1) }, '↑ Move up'),
      h('button.small', { type: 'button', 'data-move': 'down', onclick: () => move(1) }, '↓ Move down'),
      h('button.small.danger', { type: 'button', 'data-remove': '1', onclick: () => { card.remove(); renumber(list); } }, 'Remove step')));
  card._legend = legend;
  card._collect = () => {
    const k = kindSel.value;
    const opts = { ...(k === kindOf(st) ? body._orig : {}) };
    for (const [key, x] of inputs) { const v = x.get(); if (v === undefined) delete opts[key]; else opts[key] = v; }
    const out = {};
    for (const [key, v] of Object.entries(st)) if (!STEP_KINDS[key] && !['id', 'when'].includes(key)) out[key] = v;
    if (idIn.value.trim() || st.id !== undefined) out.id = idIn.value.trim();
    if (whenIn.value.trim()) out.when = whenIn.value.trim();
    out[k] = opts;
    return out;
  };
  return card;
}

function renumber(list) {
  [...list.children].forEach((c, i) => {
    c._legend.textContent = `Step ${i + 1}`;
    c.setAttribute('aria-label', `Step ${i + 1}`);
    c.querySelector('[data-move=up]').disabled = i === 0;
    c.querySelector('[data-move=down]').disabled = i === list.children.length - 1;
  });
}

// --- test against: the newest match, a chosen customer, or one of that customer's events

function testPicker(kindNow, evType, evSource) {
  const mode = h('select', { id: 'test-mode' }, h('option', { value: 'sample' }, 'the newest stored match'),
    h('option', { value: 'customer' }, 'a customer I choose'), h('option', { value: 'event' }, 'one of that customer\'s events'));
  const q = h('input', { id: 'test-customer', type: 'search', autocomplete: 'off', placeholder: 'name, e-mail or system:id' });
  const results = h('ul.results', { id: 'test-results', 'aria-live': 'polite' });
  const chosen = h('p', { id: 'test-chosen' });
  const events = h('select', { id: 'test-event' });
  let profile = null;
  let seq = 0;
  const loadEvents = async () => {
    events.replaceChildren();
    if (!profile) return;
    const type = evType();
    const src = evSource();
    const r = await api('GET', `/v1/profiles/${profile.id}/timeline?limit=100${type ? `&type=${encodeURIComponent(type)}` : ''}${src ? `&source=${encodeURIComponent(src)}` : ''}`).catch(() => ({ events: [] }));
    const evs = r.events || [];
    events.replaceChildren(...(evs.length ? evs.map((e) => h('option', { value: `${e.source}\n${e.event_id}` },
      `${fmtTime(e.at)} · ${e.type} from ${e.source} (${e.event_id})${e.properties && e.properties.amount !== undefined ? ` · amount ${e.properties.amount}` : ''}`))
      : [h('option', { value: '' }, `no ${type || ''} event for this customer`)]));
  };
  const pick = (p) => {
    profile = p;
    const a = p.attributes || {};
    chosen.textContent = `Chosen: ${a.full_name || [a.first_name, a.last_name].filter(Boolean).join(' ') || 'customer'} (#${p.id})`;
    results.replaceChildren();
    loadEvents();
  };
  q.oninput = async () => {
    const my = ++seq;
    const v = q.value.trim();
    if (v.length < 2) { results.replaceChildren(); return; }
    const sys = v.match(/^([a-z_]+):(.+)$/);
    const path = v.includes('@') ? `/v1/profiles?email=${encodeURIComponent(v)}`
      : sys ? `/v1/profiles?source=${encodeURIComponent(sys[1])}&record=${encodeURIComponent(sys[2])}`
        : `/v1/profiles/search?q=${encodeURIComponent(v)}&limit=8`;
    const r = await api('GET', path).catch(() => ({ profiles: [] }));
    if (my !== seq) return;
    results.replaceChildren(...(r.profiles || []).map((p) => {
      const a = p.attributes || {};
      return h('li', {}, h('button.link', { type: 'button', 'data-profile': p.id, onclick: () => pick(p) },
        `${a.full_name || [a.first_name, a.last_name].filter(Boolean).join(' ') || 'customer'} · #${p.id}${a.email ? ` · ${a.email}` : ''}`));
    }));
  };
  const custBox = h('div', { id: 'test-customer-box' }, h('label', { for: 'test-customer' }, 'Find the customer'), q, results, chosen);
  const evBox = h('div', {}, h('label', { for: 'test-event' }, 'Event'), events);
  const sync = () => {
    custBox.hidden = mode.value === 'sample';
    evBox.hidden = mode.value !== 'event';
    if (mode.value === 'event') loadEvents();
  };
  mode.onchange = sync;
  sync();
  return {
    el: h('div.test-against', {}, h('label', { for: 'test-mode' }, 'Test against'), mode, custBox, evBox),
    body: () => {
      // Webhook and schedule runs have nothing stored to sample: an empty call, or now.
      if (kindNow() === 'webhook') return { webhook: {} };
      if (kindNow() === 'schedule') return { schedule: { at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), timezone: 'UTC' } };
      if (mode.value === 'sample') return {};
      if (!profile) throw new Error('choose the customer to test against first');
      if (mode.value === 'customer') return { sample: { profile: profile.id } };
      const [source, event] = events.value.split('\n');
      if (!event) throw new Error('this customer has no matching event: choose another customer');
      return { sample: { source, event } };
    },
  };
}

// A dry run evaluates a saved copy; placeholders of hidden values have nothing stored behind
// them under the copy's name, so the copy carries stand-ins (dry runs never show secrets).
function standIns(v, key) {
  if (typeof v === 'string') {
    if (v === HIDDEN) return key === 'secret' ? 'dry-run-stand-in-secret' : 'hidden';
    return v.split('[redacted]').join('hidden');
  }
  if (Array.isArray(v)) return v.map((x) => standIns(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, standIns(x, k)]));
  return v;
}

export async function builderPage(name) {
  const orig = name ? await api('GET', `/v1/flows/${encodeURIComponent(name)}`) : null;
  const def = orig ? structuredClone(orig) : { name: '', trigger: { event: { type: '' } }, steps: [{ id: 'send', http: { method: 'POST', url: '', body: {} } }] };
  // The answer also says where the flow is defined and how its runs stand: the daemon's view,
  // not part of the definition, so only the definition's own keys go back.
  for (const k of Object.keys(def)) if (!DEFINITION_KEYS.includes(k)) delete def[k];
  const sources = ((await api('GET', '/v1/sources').catch(() => ({ sources: [] }))).sources || []).map((s) => s.name);
  const secrets = ((await api('GET', '/v1/secrets').catch(() => ({ secrets: [] }))).secrets || []).map((s) => s.name || s);
  const props = ['amount', 'currency', 'order_id', 'ticket_id', 'category', 'subject', 'status'];
  const ctx = { sources };

  // --- trigger
  const t = def.trigger || {};
  const kind = t.event ? 'event' : t.profile ? 'profile' : t.schedule ? 'schedule' : t.webhook ? 'webhook' : 'event';
  const ev = typeof t.event === 'string' ? { type: t.event } : (t.event || {});
  const evType = h('input', { id: 'ev-type', value: ev.type || '', placeholder: 'payment', list: 'event-types' });
  const evTypes = h('datalist', { id: 'event-types' }, ['order', 'payment', 'invoice', 'refund', 'ticket_opened', 'dunning_case_opened', 'dunning_case_closed'].map((x) => h('option', { value: x })));
  const evSource = h('select', { id: 'ev-source' }, h('option', { value: '' }, 'any system'),
    [...new Set([...sources, ...(ev.source ? [ev.source] : [])])].map((s) => h('option', { value: s, selected: ev.source === s }, s)));
  const pKinds = [].concat(t.profile || ['updated']);
  const kindBoxes = KINDS.map((k) => h('label.check', {}, h('input', { type: 'checkbox', value: k, checked: pKinds.includes(k), name: 'pkind' }), k));
  const attrBoxes = ATTRS.map((a) => h('label.check', {}, h('input', { type: 'checkbox', value: a, checked: (t.attributes || []).includes(a), name: 'pattr' }), a));
  const sch = typeof t.schedule === 'string' ? { cron: t.schedule } : (t.schedule || {});
  const cron = h('input', { id: 'cron', value: sch.cron || '0 7 * * MON' });
  const tz = h('input', { id: 'cron-tz', value: sch.timezone || '', placeholder: 'UTC', list: 'zones' });
  const zones = h('datalist', { id: 'zones' }, ['UTC', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'].map((z) => h('option', { value: z })));
  const preview = h('ol.preview', { id: 'cron-preview', 'aria-live': 'polite' });
  const showPreview = () => {
    try {
      const runs = nextRuns(cron.value, Date.now(), 5);
      preview.replaceChildren(...(runs.length ? runs.map((d) => h('li', {}, readable(d))) : [h('li.error', {}, 'never fires within a year')]));
      if (tz.value && tz.value !== 'UTC') preview.append(h('li.hint', {}, `Shown in UTC; the daemon fires at these times of the day in ${tz.value} (daylight saving applies).`));
    } catch (e) { preview.replaceChildren(h('li.error', {}, e.message)); }
  };
  cron.oninput = showPreview;
  tz.oninput = showPreview;
  const whSecretStored = t.webhook && t.webhook.secret === HIDDEN;
  const hookSecret = h('input', { id: 'hook-secret', type: 'text', autocomplete: 'off', minlength: 16, value: '', placeholder: whSecretStored ? 'stored: leave empty to keep it' : 'at least 16 characters' });
  const genSecret = h('button.small', { type: 'button', id: 'hook-generate', onclick: () => {
    const b = new Uint8Array(24);
    crypto.getRandomValues(b);
    hookSecret.value = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    hookSecret.type = 'text';
  } }, 'Generate a secret');
  const hookUrl = h('code', { id: 'hook-url' });
  const hookCurl = h('pre', { id: 'hook-curl' });
  const nameIn = h('input', { id: 'flow-name', value: def.name || '', required: true, pattern: '[a-z0-9_.\\-]+', readonly: !!orig, 'aria-describedby': 'flow-name-hint' });
  const updateHook = () => {
    const url = `${location.origin}/v1/hooks/${nameIn.value || 'NAME'}`;
    hookUrl.textContent = url;
    hookCurl.textContent = `ts=$(date +%s); body='{"order":"o1"}'\nsig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')\ncurl -X POST -H "X-Aurum-Timestamp: $ts" -H "X-Aurum-Signature: sha256=$sig" \\\n     -H 'Content-Type: application/json' --data "$body" ${url}`;
  };
  const panels = {
    event: h('div', {}, h('label', { for: 'ev-type' }, 'Event type'), evType, evTypes, h('label', { for: 'ev-source' }, 'From system'), evSource),
    profile: h('div', {}, h('fieldset', {}, h('legend', {}, 'When a customer profile is'), kindBoxes),
      h('fieldset', {}, h('legend', {}, 'Only when one of these attributes changes (none: any)'), attrBoxes)),
    schedule: h('div', {}, h('label', { for: 'cron' }, 'Schedule (cron: minute hour day month weekday, or @daily, @weekly…)'), cron,
      h('label', { for: 'cron-tz' }, 'Time zone (default UTC)'), tz, zones,
      h('p', {}, 'Next five runs:'), preview),
    webhook: h('div', { id: 'webhook-panel' }, h('p', {}, 'Other systems start this flow by calling ', hookUrl, ' (POST, any JSON body, no API key).'),
      h('label', { for: 'hook-secret' }, 'Secret shared with the caller'), h('div.row', {}, hookSecret, genSecret),
      h('p.hint', {}, whSecretStored ? 'A secret is stored and never shown; leave the field empty to keep it, or type or generate a new one.' : 'The caller signs each call with it (HMAC-SHA256 of "timestamp.body"); a call without a valid, fresh signature is refused with 401.'),
      h('details', {}, h('summary', {}, 'How a caller signs a call'), hookCurl)),
  };
  const kindSel = h('select', { id: 'trigger-kind' }, Object.keys(panels).map((k) => h('option', { value: k, selected: k === kind }, {
    event: 'An event arrives', profile: 'A customer profile changes', schedule: 'On a schedule', webhook: 'A webhook is called' }[k])));
  const datalist = h('datalist', { id: 'paths' });
  const fields = h('datalist', { id: 'fields' });
  const refreshPaths = () => {
    const paths = fieldPaths(kindSel.value, props);
    datalist.replaceChildren(...paths.map((p) => h('option', { value: `{{ ${p} }}` })), ...secrets.map((s) => h('option', { value: `{{ secret.${s} }}` })));
    fields.replaceChildren(...paths.map((p) => h('option', { value: p })));
  };
  const showPanel = () => {
    for (const [k, p] of Object.entries(panels)) p.hidden = k !== kindSel.value;
    if (kindSel.value === 'schedule') showPreview();
    refreshPaths();
  };
  kindSel.onchange = showPanel;
  nameIn.oninput = updateHook;
  updateHook();

  // --- condition
  const condOrig = h('textarea', { id: 'cond-expr', rows: 2 }, def.condition || '');
  const condRows = h('div', { id: 'cond-rows' });
  const addCond = () => {
    const f = h('input', { name: 'cfield', list: 'fields', 'aria-label': 'Field', placeholder: 'event.properties.amount' });
    const o = h('select', { name: 'cop', 'aria-label': 'Operator' }, OPS.map(([v, l]) => h('option', { value: v }, l)));
    const v = h('input', { name: 'cvalue', 'aria-label': 'Value' });
    const row = h('div.row', {}, f, o, v, h('button.small', { type: 'button', 'aria-label': 'Remove condition', onclick: () => row.remove() }, '✕'));
    condRows.append(row);
    return row;
  };

  // --- steps
  const stepList = h('div', { id: 'steps' });
  for (const st of def.steps || []) stepList.append(stepCard(st, ctx, stepList));
  renumber(stepList);
  const addStep = () => {
    const card = stepCard({ id: `step${stepList.children.length + 1}`, http: { method: 'POST' } }, ctx, stepList);
    stepList.append(card);
    renumber(stepList);
    card.querySelector('select[name=step-kind]').focus();
  };

  // --- delivery: retries and concurrency (kept as they are unless changed)
  const retry = def.retry || {};
  const num = (id, v, min, max) => h('input', { id, type: 'number', min, max, value: v ?? '' });
  const maxAttempts = num('retry-attempts', retry.max_attempts, 1, 100);
  const backoff = num('retry-backoff', retry.backoff_ms, 1);
  const maxBackoff = num('retry-max-backoff', retry.max_backoff_ms, 1);
  const conc = num('concurrency', def.concurrency, 1, 64);
  const enabled = h('input', { id: 'flow-enabled', type: 'checkbox', checked: def.enabled !== false });

  const desc = h('input', { id: 'flow-desc', value: def.description || '', class: 'wide' });
  const result = h('div', { id: 'result', 'aria-live': 'polite' });

  // The definition as the builder shows it, on top of every key it does not show.
  const collect = () => {
    const d = structuredClone(def);
    d.name = nameIn.value.trim();
    if (desc.value || def.description !== undefined) d.description = desc.value;
    if (def.enabled !== undefined || !enabled.checked) d.enabled = enabled.checked;
    const k = kindSel.value;
    const tr = {};
    for (const [key, v] of Object.entries(def.trigger || {})) if (!['event', 'profile', 'attributes', 'schedule', 'webhook'].includes(key)) tr[key] = v;
    if (k === 'event') {
      const type = evType.value.trim();
      if (!type) throw new Error('name the event type');
      tr.event = evSource.value ? { ...(typeof t.event === 'object' ? t.event : {}), type, source: evSource.value }
        : typeof t.event === 'string' ? type : { ...(typeof t.event === 'object' ? t.event : {}), type };
      if (!evSource.value && typeof tr.event === 'object') delete tr.event.source;
    }
    if (k === 'profile') {
      const ks = [...document.querySelectorAll('input[name=pkind]:checked')].map((x) => x.value);
      tr.profile = Array.isArray(t.profile) || ks.length !== 1 ? ks : ks[0];
      const as = [...document.querySelectorAll('input[name=pattr]:checked')].map((x) => x.value);
      const same = t.attributes && as.length === t.attributes.length && as.every((a) => t.attributes.includes(a));
      if (as.length) tr.attributes = same ? t.attributes : as;
    }
    if (k === 'schedule') {
      const obj = typeof t.schedule === 'object' || tz.value.trim();
      tr.schedule = obj ? { ...(typeof t.schedule === 'object' ? t.schedule : {}), cron: cron.value.trim() } : cron.value.trim();
      if (obj && tz.value.trim()) tr.schedule.timezone = tz.value.trim();
      else if (obj) delete tr.schedule.timezone;
    }
    if (k === 'webhook') {
      const secret = hookSecret.value || (whSecretStored ? HIDDEN : '');
      if (!secret) throw new Error('give the webhook a secret (or generate one)');
      tr.webhook = { ...(t.webhook || {}), secret };
    }
    d.trigger = tr;
    const rows = [...condRows.children].map((r) => ({ field: r.querySelector('[name=cfield]').value.trim(), op: r.querySelector('[name=cop]').value, value: r.querySelector('[name=cvalue]').value }));
    const cond = [condOrig.value.trim(), conditionText(rows)].filter(Boolean);
    if (cond.length) d.condition = cond.length === 1 ? cond[0] : cond.map((c) => `(${c})`).join(' and ');
    else delete d.condition;
    d.steps = [...stepList.children].map((c) => c._collect());
    if (!d.steps.length) throw new Error('a flow needs at least one step');
    const r = { ...retry };
    const setNum = (key, inp) => { if (inp.value === '') delete r[key]; else r[key] = Number(inp.value); };
    setNum('max_attempts', maxAttempts);
    setNum('backoff_ms', backoff);
    setNum('max_backoff_ms', maxBackoff);
    if (Object.keys(r).length || def.retry !== undefined) d.retry = r;
    if (conc.value !== '') d.concurrency = Number(conc.value); else delete d.concurrency;
    return d;
  };

  const picker = testPicker(() => kindSel.value, () => evType.value.trim(), () => evSource.value);
  const dryRun = async () => {
    let d, body;
    try { d = collect(); body = picker.body(); } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); return; }
    const draft = `${(d.name || 'flow').slice(0, 56)}-dryrun`;
    result.replaceChildren(h('p', {}, 'Running…'));
    try {
      // The dry run evaluates a disabled copy: nothing runs, nothing is sent, the flow itself
      // is not touched until Save.
      await api('PUT', `/v1/flows/${encodeURIComponent(draft)}`, { ...standIns(d), name: draft, enabled: false });
      let r;
      try { r = await api('POST', `/v1/flows/${encodeURIComponent(draft)}/test`, body); } finally {
        await api('DELETE', `/v1/flows/${encodeURIComponent(draft)}`).catch(() => {});
      }
      const s = r.sampled || {};
      const what = s.event ? `event ${s.event} from ${s.source}` : s.profile ? `customer #${s.profile}${s.record ? ` (record ${s.record.source}:${s.record.record_id})` : ''}` : 'the given context';
      result.replaceChildren(h('h3', {}, 'Dry run'),
        h('p', { id: 'dry-summary' }, `Tested against ${what}. Condition: ${r.condition === true ? 'holds' : r.condition === false ? 'does not hold' : 'error'}${r.condition_error ? ` (${r.condition_error})` : ''}. Nothing was sent.`),
        r.condition === false ? h('p', {}, 'The condition does not hold for this one: no step would run. Choose another customer or event to see what would be sent.') : null,
        ...(r.steps || []).map((x) => h('div.step', {}, h('h4', {}, `${x.id} (${x.kind}): ${x.would_send ? 'would send' : x.when === false ? 'skipped (only when does not hold)' : 'not reached'}`),
          h('pre', { id: `would-${x.id}` }, JSON.stringify(x.would_send ?? x, null, 2)))));
    } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); }
  };
  const save = async (ev2) => {
    ev2.preventDefault();
    try {
      const d = collect();
      await api('PUT', `/v1/flows/${encodeURIComponent(d.name)}`, d);
      toast(`Saved ${d.name}`);
      location.hash = `#/flows/${encodeURIComponent(d.name)}`;
    } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); }
  };

  show(h('p', {}, h('a', { href: '#/flows' }, '← Flows')), h('h1', {}, orig ? `Edit ${orig.name}` : 'New flow'),
    orig ? h('p.muted', {}, `Now: ${triggerText(orig.trigger)}`) : null,
    h('form.builder', { onsubmit: save, novalidate: true }, fields, datalist,
      h('fieldset', {}, h('legend', {}, '1. Name'), h('label', { for: 'flow-name' }, 'Name'), nameIn,
        h('p.hint', { id: 'flow-name-hint' }, 'Lower-case letters, digits, _ - . (it names the flow in URLs).'),
        h('label', { for: 'flow-desc' }, 'Description'), desc,
        h('label.check', {}, enabled, ' Enabled (runs when triggered)')),
      h('fieldset', {}, h('legend', {}, '2. When'), h('label', { for: 'trigger-kind' }, 'Trigger'), kindSel, Object.values(panels)),
      h('fieldset', {}, h('legend', {}, '3. Only if'), h('label', { for: 'cond-expr' }, 'Expression (kept as written; the rows below are added with "and")'), condOrig,
        condRows, h('button.small', { type: 'button', id: 'add-cond', onclick: addCond }, 'Add a condition')),
      h('fieldset', {}, h('legend', {}, '4. Then (steps run in order)'),
        h('p.hint', {}, 'Values: pick a field from the list (type {{ for completion) or write text; {{ secret.NAME }} uses a stored secret.'),
        stepList, h('button', { type: 'button', id: 'add-step', onclick: addStep }, 'Add a step')),
      h('fieldset', {}, h('legend', {}, '5. Delivery'),
        h('div.row', {}, h('label', { for: 'retry-attempts' }, 'Attempts'), maxAttempts, h('label', { for: 'retry-backoff' }, 'First retry after (ms)'), backoff,
          h('label', { for: 'retry-max-backoff' }, 'Longest wait (ms)'), maxBackoff, h('label', { for: 'concurrency' }, 'In flight at once'), conc)),
      h('fieldset', {}, h('legend', {}, '6. Test it'), picker.el,
        h('div.buttons', {}, h('button', { type: 'button', id: 'dry-run', onclick: dryRun }, 'Test it (dry run)'), h('button', { type: 'submit', id: 'save' }, 'Save')),
        result)));
  showPanel();
}
