// The flow builder: trigger, condition, field mapping and step by clicks, a dry run that shows
// exactly what would be sent, and save. It edits the definition the API returns and keeps every
// key it does not show, so GET /v1/flows/{name} -> builder -> PUT changes nothing unless the user
// changed something.
import { h, api, show, fmtTime, toast } from './app.js';
import { triggerText } from './flows.js';

const ATTRS = ['first_name', 'middle_name', 'last_name', 'full_name', 'company', 'gender', 'email',
  'phone', 'date_of_birth', 'address_full', 'address_line1', 'address_line2', 'city', 'postcode',
  'state', 'country', 'national_id', 'passport', 'drivers_license'];
const KINDS = ['created', 'updated', 'merged', 'split', 'deleted'];
const OPS = [['==', 'is'], ['!=', 'is not'], ['>', 'greater than'], ['<', 'less than'],
  ['contains', 'contains'], ['starts_with', 'starts with'], ['exists', 'is present']];

function fieldPaths(props) {
  return ['event.type', 'event.source', 'event.id', 'event.at',
    ...props.map((p) => `event.properties.${p}`), 'profile.id',
    ...ATTRS.map((a) => `profile.${a}`), 'change.kind', 'change.source'];
}

// Next run times of a 5-field cron expression (UTC), for the readable preview.
const DOW = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
function cronField(spec, lo, hi) {
  const set = new Set();
  for (const part of spec.toUpperCase().split(',')) {
    const [range, step] = part.split('/');
    let [a, b] = range === '*' ? [lo, hi] : range.split('-').map((x) => (x in DOW ? DOW[x] : Number(x)));
    if (b === undefined) b = step ? hi : a;
    if (isNaN(a) || isNaN(b)) throw new Error(`cannot read "${part}"`);
    for (let i = a; i <= b; i += Number(step || 1)) set.add(i === 7 && hi === 6 ? 0 : i);
  }
  return set;
}
export function nextRuns(expr, from, n) {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) throw new Error('a schedule has 5 fields: minute hour day month weekday');
  const [mi, ho, dm, mo, dw] = [cronField(f[0], 0, 59), cronField(f[1], 0, 23), cronField(f[2], 1, 31),
    cronField(f[3], 1, 12), cronField(f[4], 0, 6)];
  const out = [];
  const t = new Date(Math.floor(from / 60000) * 60000 + 60000);
  for (let i = 0; i < 366 * 24 * 60 && out.length < n; i++, t.setTime(t.getTime() + 60000)) {
    if (mi.has(t.getUTCMinutes()) && ho.has(t.getUTCHours()) && dm.has(t.getUTCDate()) &&
        mo.has(t.getUTCMonth() + 1) && dw.has(t.getUTCDay())) out.push(new Date(t));
  }
  return out;
}

function conditionText(rows) {
  const q = (v) => /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
  return rows.filter((r) => r.field).map((r) => r.op === 'exists' ? `exists(${r.field})`
    : r.op === 'contains' || r.op === 'starts_with' ? `${r.op}(${r.field}, ${q(r.value)})`
      : `${r.field} ${r.op} ${q(r.value)}`).join(' and ');
}

const DEFINITION_KEYS = ['name', 'description', 'enabled', 'trigger', 'condition', 'steps', 'retry',
  'concurrency'];

export async function builderPage(name) {
  const orig = name ? await api('GET', `/v1/flows/${encodeURIComponent(name)}`) : null;
  const def = orig ? structuredClone(orig) : { name: '', trigger: { event: { type: '' } }, steps: [{ id: 'send', http: { method: 'POST', url: '', body: {} } }] };
  // The answer also says where the flow is defined and how its runs stand: the daemon's view,
  // not part of the definition, so only the definition's own keys go back.
  for (const k of Object.keys(def)) if (!DEFINITION_KEYS.includes(k)) delete def[k];
  const sources = ((await api('GET', '/v1/sources').catch(() => ({ sources: [] }))).sources || []).map((s) => s.name);
  const props = [];
  const step = def.steps && def.steps[0] && def.steps[0].http ? def.steps[0] : null;
  const datalist = h('datalist', { id: 'paths' });
  const refreshPaths = () => datalist.replaceChildren(...fieldPaths(props).map((p) => h('option', { value: `{{ ${p} }}` })));

  // --- trigger
  const t = def.trigger || {};
  const kind = t.event ? 'event' : t.profile ? 'profile' : t.schedule ? 'schedule' : t.webhook ? 'webhook' : 'event';
  const ev = typeof t.event === 'string' ? { type: t.event } : (t.event || {});
  const evType = h('input', { id: 'ev-type', value: ev.type || '', placeholder: 'payment' });
  const evSource = h('select', { id: 'ev-source' }, h('option', { value: '' }, 'any system'),
    sources.map((s) => h('option', { value: s, selected: ev.source === s }, s)));
  const pKinds = [].concat(t.profile || ['updated']);
  const kindBoxes = KINDS.map((k) => h('label.check', {}, h('input', { type: 'checkbox', value: k, checked: pKinds.includes(k), name: 'pkind' }), k));
  const attrBoxes = ATTRS.map((a) => h('label.check', {}, h('input', { type: 'checkbox', value: a, checked: (t.attributes || []).includes(a), name: 'pattr' }), a));
  const sch = typeof t.schedule === 'string' ? { cron: t.schedule } : (t.schedule || {});
  const cron = h('input', { id: 'cron', value: sch.cron || '0 7 * * MON' });
  const preview = h('ul.preview', { 'aria-live': 'polite' });
  const showPreview = () => { try { preview.replaceChildren(...nextRuns(cron.value, Date.now(), 5).map((d) => h('li', {}, fmtTime(d.getTime())))); } catch (e) { preview.replaceChildren(h('li.error', {}, e.message)); } };
  cron.oninput = showPreview;
  const hookSecret = h('input', { id: 'hook-secret', value: (t.webhook && t.webhook.secret) || '', minlength: 16 });
  const panels = {
    event: h('div', {}, h('label', { for: 'ev-type' }, 'Event type'), evType, h('label', { for: 'ev-source' }, 'From system'), evSource),
    profile: h('div', {}, h('fieldset', {}, h('legend', {}, 'When a customer profile is'), kindBoxes),
      h('fieldset', {}, h('legend', {}, 'Only when one of these attributes changes (none: any)'), attrBoxes)),
    schedule: h('div', {}, h('label', { for: 'cron' }, 'Schedule (cron: minute hour day month weekday, UTC)'), cron, h('p', {}, 'Next runs:'), preview),
    webhook: h('div', {}, h('p', {}, `URL: ${location.origin}/v1/hooks/`, h('span', { id: 'hook-name' }, def.name || 'NAME')),
      h('label', { for: 'hook-secret' }, 'Secret (at least 16 characters, sent as X-Aurum-Secret)'), hookSecret),
  };
  const kindSel = h('select', { id: 'trigger-kind' }, Object.keys(panels).map((k) => h('option', { value: k, selected: k === kind }, {
    event: 'An event arrives', profile: 'A customer profile changes', schedule: 'On a schedule', webhook: 'A webhook is called' }[k])));
  const showPanel = () => { for (const [k, p] of Object.entries(panels)) p.hidden = k !== kindSel.value; if (kindSel.value === 'schedule') showPreview(); };
  kindSel.onchange = showPanel;

  // --- condition
  const condOrig = h('textarea', { id: 'cond-expr', rows: 2 }, def.condition || '');
  const condRows = h('div', { id: 'cond-rows' });
  const addCond = () => {
    const f = h('input', { name: 'cfield', list: 'fields', 'aria-label': 'Field', placeholder: 'event.properties.amount' });
    const o = h('select', { name: 'cop', 'aria-label': 'Operator' }, OPS.map(([v, l]) => h('option', { value: v }, l)));
    const v = h('input', { name: 'cvalue', 'aria-label': 'Value' });
    const row = h('div.row', {}, f, o, v, h('button', { type: 'button', 'aria-label': 'Remove condition', onclick: () => row.remove() }, '✕'));
    condRows.append(row);
    return row;
  };
  const fields = h('datalist', { id: 'fields' }, fieldPaths([]).map((p) => h('option', { value: p })));

  // --- step and mapping
  const http = step ? step.http : { method: 'POST', url: '', body: {} };
  const method = h('select', { id: 'http-method' }, ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'].map((m) => h('option', { selected: http.method === m }, m)));
  const url = h('input', { id: 'http-url', type: 'url', value: http.url || '', placeholder: 'https://system.example/api/…' });
  const mapRows = h('div', { id: 'map-rows' });
  const addMap = (k, v) => {
    const tk = h('input', { name: 'mkey', 'aria-label': 'Target field', value: k || '' });
    const tv = h('input', { name: 'mvalue', 'aria-label': 'Value or template', list: 'paths', value: v || '', placeholder: '{{ profile.email }}' });
    const row = h('div.row', {}, tk, h('span', {}, '←'), tv, h('button', { type: 'button', 'aria-label': 'Remove field', onclick: () => row.remove() }, '✕'));
    mapRows.append(row);
  };
  const body = http.body && typeof http.body === 'object' ? http.body : {};
  const kept = {};
  for (const [k, v] of Object.entries(body)) typeof v === 'string' ? addMap(k, v) : (kept[k] = v);
  refreshPaths();

  // The API never shows a secret ("********"); saving that placeholder would replace the real
  // secret, so each hidden one must be entered again before the flow can be saved.
  const HIDDEN = '********';
  const secretIns = [];
  (def.steps || []).forEach((st, i) => {
    for (const [k, v] of Object.entries(st)) {
      if (v && typeof v === 'object' && v.secret === HIDDEN) {
        const id = `secret-${i}-${k}`;
        secretIns.push({ i, k, input: h('input', { id, type: 'password', autocomplete: 'off', required: true }), id, label: `Signing secret of step ${st.id || i + 1} (${k})` });
      }
    }
  });
  if (hookSecret.value === HIDDEN) {
    hookSecret.value = '';
    hookSecret.setAttribute('placeholder', 'hidden by the API: enter it again to save');
  }
  const nameIn = h('input', { id: 'flow-name', value: def.name || '', required: true, pattern: '[A-Za-z0-9_.\\-]+', readonly: !!orig });
  nameIn.oninput = () => { document.getElementById('hook-name').textContent = nameIn.value; };
  const desc = h('input', { id: 'flow-desc', value: def.description || '' });
  const result = h('div', { id: 'result', 'aria-live': 'polite' });

  // The definition as the builder shows it, on top of every key it does not show.
  const collect = () => {
    const d = structuredClone(def);
    d.name = nameIn.value.trim();
    if (desc.value || def.description !== undefined) d.description = desc.value;
    const k = kindSel.value;
    const tr = {};
    for (const [key, v] of Object.entries(def.trigger || {})) if (!['event', 'profile', 'attributes', 'schedule', 'webhook'].includes(key)) tr[key] = v;
    if (k === 'event') tr.event = evSource.value ? { type: evType.value.trim(), source: evSource.value } : (typeof t.event === 'string' && t.event === evType.value.trim() ? t.event : { type: evType.value.trim() });
    if (k === 'profile') {
      const ks = [...document.querySelectorAll('input[name=pkind]:checked')].map((x) => x.value);
      tr.profile = Array.isArray(t.profile) || ks.length !== 1 ? ks : ks[0];
      const as = [...document.querySelectorAll('input[name=pattr]:checked')].map((x) => x.value);
      const same = t.attributes && as.length === t.attributes.length && as.every((a) => t.attributes.includes(a));
      if (as.length) tr.attributes = same ? t.attributes : as;
    }
    if (k === 'schedule') tr.schedule = typeof t.schedule === 'object' ? { ...t.schedule, cron: cron.value } : cron.value;
    if (k === 'webhook') tr.webhook = { ...(t.webhook || {}), secret: hookSecret.value };
    if (k === 'webhook' && !hookSecret.value) throw new Error('enter the webhook secret (the API does not show it)');
    d.trigger = tr;
    const rows = [...condRows.children].map((r) => ({ field: r.querySelector('[name=cfield]').value.trim(), op: r.querySelector('[name=cop]').value, value: r.querySelector('[name=cvalue]').value }));
    const cond = [condOrig.value.trim(), conditionText(rows)].filter(Boolean);
    if (cond.length) d.condition = cond.length === 1 ? cond[0] : cond.map((c) => `(${c})`).join(' and ');
    else delete d.condition;
    const nb = { ...kept };
    for (const r of mapRows.children) {
      const key = r.querySelector('[name=mkey]').value.trim();
      if (key) nb[key] = r.querySelector('[name=mvalue]').value;
    }
    const hs = { ...http, method: method.value, url: url.value.trim() };
    if (Object.keys(nb).length || http.body !== undefined) hs.body = nb;
    if (!d.steps || !d.steps.length) d.steps = [{ id: 'send', http: hs }];
    else if (d.steps[0].http) d.steps[0] = { ...d.steps[0], http: hs };
    for (const s of secretIns) {
      if (!s.input.value) throw new Error(`enter the ${s.label.toLowerCase()}: the API does not show it`);
      d.steps[s.i][s.k] = { ...d.steps[s.i][s.k], secret: s.input.value };
    }
    return d;
  };

  const dryRun = async () => {
    let d;
    try { d = collect(); } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); return; }
    const draft = `${d.name || 'flow'}-dryrun`;
    result.replaceChildren(h('p', {}, 'Running…'));
    try {
      // The dry run evaluates a disabled copy: nothing runs, nothing is sent, the flow itself
      // is not touched until Save.
      await api('PUT', `/v1/flows/${encodeURIComponent(draft)}`, { ...d, name: draft, enabled: false });
      let r;
      try { r = await api('POST', `/v1/flows/${encodeURIComponent(draft)}/test`, {}); } finally {
        await api('DELETE', `/v1/flows/${encodeURIComponent(draft)}`).catch(() => {});
      }
      result.replaceChildren(h('h3', {}, 'Dry run'),
        h('p', {}, r.sampled ? `Sampled: ${JSON.stringify(r.sampled)}. ` : '', `Condition: ${r.condition}${r.condition_error ? ` (${r.condition_error})` : ''}. Nothing was sent.`),
        ...(r.steps || []).map((s) => h('div.step', {}, h('h4', {}, `${s.id}: ${s.skipped ? 'skipped' : 'would send'}`), h('pre', { id: `would-${s.id}` }, JSON.stringify(s.would_send ?? s, null, 2)))));
    } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); }
  };
  const save = async (ev) => {
    ev.preventDefault();
    try {
      const d = collect();
      await api('PUT', `/v1/flows/${encodeURIComponent(d.name)}`, d);
      toast(`Saved ${d.name}`);
      location.hash = `#/flows/${encodeURIComponent(d.name)}`;
    } catch (e) { result.replaceChildren(h('p.error', { role: 'alert' }, e.message)); }
  };

  show(h('p', {}, h('a', { href: '#/flows' }, '← Flows')), h('h1', {}, orig ? `Edit ${orig.name}` : 'New flow'),
    orig ? h('p.muted', {}, `Now: ${triggerText(orig.trigger)}`) : null,
    h('form.builder', { onsubmit: save }, fields, datalist,
      h('fieldset', {}, h('legend', {}, '1. Name'), h('label', { for: 'flow-name' }, 'Name'), nameIn, h('label', { for: 'flow-desc' }, 'Description'), desc),
      h('fieldset', {}, h('legend', {}, '2. When'), h('label', { for: 'trigger-kind' }, 'Trigger'), kindSel, Object.values(panels)),
      h('fieldset', {}, h('legend', {}, '3. Only if'), h('label', { for: 'cond-expr' }, 'Expression (kept as written; the rows below are added with "and")'), condOrig,
        condRows, h('button', { type: 'button', id: 'add-cond', onclick: addCond }, 'Add a condition')),
      h('fieldset', {}, h('legend', {}, '4. Then send (HTTP)'), step || !orig ? null : h('p.hint', {}, 'The first step is not HTTP; it is kept as it is.'),
        h('label', { for: 'http-method' }, 'Method'), method, h('label', { for: 'http-url' }, 'URL'), url,
        h('p', {}, 'Fields sent (pick a value or write a template; type {{ for completion):'), mapRows,
        h('button', { type: 'button', id: 'add-map', onclick: () => addMap() }, 'Add a field')),
      secretIns.length ? h('fieldset', {}, h('legend', {}, 'Secrets'),
        h('p.hint', {}, 'The API never shows secrets; enter them again to save.'),
        secretIns.map((s) => [h('label', { for: s.id }, s.label), s.input])) : null,
      h('div.buttons', {}, h('button', { type: 'button', id: 'dry-run', onclick: dryRun }, 'Test it (dry run)'), h('button', { type: 'submit', id: 'save' }, 'Save')),
      result));
  showPanel();
}
