// Flows: the list with state, last run, failures and dead letters; one flow's run history with
// each step's request, response and latency; dead letters with replay, one or all.
import { h, api, show, canWrite, fmtTime, toast, confirmDialog } from './app.js';

export function triggerText(t) {
  if (!t) return '';
  if (t.event) return typeof t.event === 'string' ? `event ${t.event}` : `event ${t.event.type}${t.event.source ? ` from ${t.event.source}` : ''}`;
  if (t.profile) return `profile ${[].concat(t.profile).join(', ')}${t.attributes ? ` (${t.attributes.join(', ')})` : ''}`;
  if (t.schedule) return `schedule ${typeof t.schedule === 'string' ? t.schedule : t.schedule.cron}`;
  if (t.webhook) return 'webhook';
  return JSON.stringify(t);
}

// One line per step: what it does and where.
export function stepText(st) {
  const k = ['http', 'postgres', 'nats', 'file', 'upsert_record'].find((x) => st[x]) || Object.keys(st).find((x) => x !== 'id' && x !== 'when');
  const o = st[k] || {};
  const where = k === 'http' ? `${o.method || 'POST'} ${o.url || ''}` : k === 'postgres' ? `row in ${o.table || ''}`
    : k === 'nats' ? `message on ${o.subject || ''}` : k === 'file' ? `line in ${o.path || ''}` : k === 'upsert_record' ? `record into ${o.source || ''}` : '';
  return `${st.id ? `${st.id}: ` : ''}${k} ${where}${st.when ? ` (only when ${st.when})` : ''}`;
}

export async function flowsPage() {
  const r = await api('GET', '/v1/flows');
  const flows = r.flows || [];
  const rows = await Promise.all(flows.map(async (f) => {
    // The list may already carry a summary (newer daemons); otherwise ask runs and dead letters.
    const runs = f.last_run !== undefined ? { runs: f.last_run ? [f.last_run] : [] }
      : await api('GET', `/v1/flows/${encodeURIComponent(f.name)}/runs?limit=20`).catch(() => ({ runs: [] }));
    const dl = f.dead_letters !== undefined ? null
      : await api('GET', `/v1/deadletters?flow=${encodeURIComponent(f.name)}`).catch(() => ({ items: [] }));
    const list = runs.runs || runs.items || [];
    const last = list[0];
    const failures = f.failures ?? list.filter((x) => x.status === 'failed' || x.status === 'error').length;
    const dead = f.dead_letters ?? ((dl && (dl.deadletters || dl.items)) || []).length;
    return h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/flows/${encodeURIComponent(f.name)}` }, f.name)),
      h('td', {}, f.description || ''), h('td', {}, triggerText(f.trigger)),
      h('td', {}, f.enabled === false ? '⏸ paused' : '▶ enabled'),
      h('td', {}, last ? `${last.status} · ${fmtTime(last.started_at)}` : 'never'),
      h('td.num', {}, String(failures)), h('td.num', {}, String(dead)));
  }));
  show(h('h1', {}, 'Flows'),
    canWrite() ? h('p', {}, h('a.button', { href: '#/flows/new' }, 'New flow')) : null,
    flows.length ? h('table.grid', { id: 'flows' }, h('thead', {}, h('tr', {},
      ['Flow', 'What it does', 'Trigger', 'State', 'Last run', 'Failures (recent)', 'Dead letters'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)) : h('p', {}, 'No flows yet.'));
}

// A run's steps: a list, or an object keyed by step id (tolerated either way).
const stepsOf = (r) => (Array.isArray(r.steps) ? r.steps
  : Object.entries(r.steps || {}).map(([id, s]) => ({ id, ...(typeof s === 'object' ? s : { status: s }) })));

function pre(v) {
  return h('pre', {}, typeof v === 'string' ? v : JSON.stringify(v, null, 2));
}

export async function flowPage(name) {
  const n = encodeURIComponent(name);
  const [f, runs, dl] = await Promise.all([api('GET', `/v1/flows/${n}`),
    api('GET', `/v1/flows/${n}/runs?limit=50`).catch(() => ({ runs: [] })),
    api('GET', `/v1/deadletters?flow=${n}`).catch(() => ({ items: [] }))]);
  const runList = runs.runs || runs.items || [];
  const dead = dl.deadletters || dl.items || [];
  const reload = () => flowPage(name);
  show(h('p', {}, h('a', { href: '#/flows' }, '← Flows')),
    h('h1', {}, f.name, h('span.muted', {}, ` · ${triggerText(f.trigger)}`)),
    h('p', {}, f.description || ''),
    f.trigger && f.trigger.webhook ? h('p', { id: 'webhook-url' }, 'Webhook URL: ', h('code', {}, `${location.origin}/v1/hooks/${f.name}`), ' (signed with the flow\'s secret, which is never shown)') : null,
    h('ol.steps', { id: 'flow-steps', 'aria-label': 'Steps' }, (f.steps || []).map((st) => h('li', {}, stepText(st)))),
    canWrite() ? h('p', {}, h('a.button', { href: `#/flows/${n}/edit` }, 'Edit in the builder')) : null,
    h('section', { 'aria-labelledby': 'runs-h' }, h('h2', { id: 'runs-h' }, 'Run history'),
      runList.length ? h('table.grid', { id: 'runs' }, h('thead', {}, h('tr', {}, ['Started', 'Status', 'Condition', 'Latency', 'Steps'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, runList.map((r) => h('tr', { 'data-status': r.status }, h('td', {}, fmtTime(r.started_at)),
          h('td', {}, h('strong', {}, r.status)), h('td', {}, String(r.condition ?? '')),
          h('td.num', {}, r.latency_ms !== undefined && r.latency_ms !== null ? `${r.latency_ms} ms` : ''),
          h('td', {}, stepsOf(r).map((s) => h('details', {}, h('summary', {},
            `${s.id || 'step'}: ${s.status}${s.http_status ? ` (HTTP ${s.http_status})` : ''}, ${s.attempts ?? 0} attempt(s)${s.send_ms !== undefined ? `, ${s.send_ms} ms` : ''}`),
          s.request ? [h('h3', {}, 'Request'), pre(s.request)] : null,
          s.response !== undefined ? [h('h3', {}, 'Response'), pre(s.response)] : null))))))) : h('p', {}, 'No runs yet.')),
    h('section', { 'aria-labelledby': 'dl-h' }, h('h2', { id: 'dl-h' }, `Dead letters (${dead.length})`),
      dead.length && canWrite() ? h('p', {}, h('button', { type: 'button', id: 'replay-all', onclick: async () => {
        if (!await confirmDialog('Replay all dead letters?', `${dead.length} deliveries of ${name} go back to the outbox.`, 'Replay all')) return;
        try { await api('POST', '/v1/deadletters/replay', { flow: name }); toast('Replaying'); reload(); } catch (e) { toast(e.message); }
      } }, 'Replay all')) : null,
      dead.length ? h('table.grid', { id: 'deadletters' }, h('thead', {}, h('tr', {}, ['When', 'Step', 'Reason', 'Request / response', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, dead.map((d) => h('tr', {}, h('td', {}, fmtTime(d.at || d.created_at || d.dead_at)), h('td', {}, d.step || ''),
          h('td', {}, d.reason || d.error || ''),
          h('td', {}, h('details', {}, h('summary', {}, 'show'), pre({ request: d.request, response: d.response }))),
          h('td', {}, canWrite() ? h('button', { type: 'button', 'data-replay': d.id, onclick: async () => {
            try { await api('POST', `/v1/deadletters/${d.id}/replay`); toast('Replaying'); reload(); } catch (e) { toast(e.message); }
          } }, 'Replay') : null))))) : h('p', {}, 'No dead letters.')));
}
