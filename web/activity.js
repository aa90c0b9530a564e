// Activity: the live change feed over Server-Sent Events (GET /v1/changes with the session
// cookie) and the main metrics of /metrics (ingest rate, resolution decisions, flow deliveries
// and failures), sampled every few seconds while the page is open and drawn as one small chart
// per measure, each with its numbers written out and a table as its text alternative.
import { h, show, fmtTime } from './app.js';
import { lineChart } from './charts.js';

let source = null;
let timer = null;

export function stopActivity() {
  if (source) source.close();
  if (timer) clearInterval(timer);
  source = null;
  timer = null;
}

const EVERY_S = 3;
const KEEP = 40; // samples kept: two minutes

// [key, label, unit, how to read it from the summed counters]
const MEASURES = [
  ['records', 'Records ingested', 'per s', (m) => m.aurum_records_ingested_total],
  ['events', 'Events ingested', 'per s', (m) => m.aurum_events_ingested_total],
  ['created', 'New customers (profiles created)', 'per s', (m) => m['aurum_profile_changes_total{kind="created"}']],
  ['merged', 'Merges', 'per s', (m) => m['aurum_profile_changes_total{kind="merged"}']],
  ['split', 'Splits', 'per s', (m) => m['aurum_profile_changes_total{kind="split"}']],
  ['deliveries', 'Flow deliveries', 'per s', (m) => m.aurum_flow_deliveries_total],
  ['failures', 'Flow delivery failures', 'per s', (m) => m.aurum_flow_failures_total],
  ['dead', 'Dead letters', 'per s', (m) => m.aurum_flow_dead_letters_total],
];

// Sums every series of each counter of the Prometheus text; the profile changes are kept per
// kind (the label is part of the key), everything else summed over its labels.
export function sums(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^([a-z_]+)(\{[^}]*\})?\s+([0-9.eE+-]+)/);
    if (!m) continue;
    const key = m[1] === 'aurum_profile_changes_total' ? m[1] + (m[2] || '') : m[1];
    out[key] = (out[key] || 0) + Number(m[3]);
  }
  return out;
}

export function activityPage() {
  const feed = h('ol.feed', { id: 'feed', 'aria-live': 'polite', 'aria-label': 'Profile changes, newest first' });
  const charts = h('div.charts', { id: 'charts' });
  const stats = h('table.grid', { id: 'metrics' });
  const samples = []; // {t, m}
  const sample = async () => {
    try {
      const r = await fetch('/metrics', { credentials: 'same-origin' });
      if (!r.ok) return;
      samples.push({ t: Date.now(), m: sums(await r.text()) });
      if (samples.length > KEEP + 1) samples.shift();
      render(samples, charts, stats);
    } catch { /* next sample */ }
  };
  show(h('h1', {}, 'Activity'),
    h('p.hint', {}, `Sampled from /metrics every ${EVERY_S} s while this page is open; each chart is the rate per second over the last samples, with its current value and peak written in it.`),
    h('h2', {}, 'Metrics'), charts, stats,
    h('h2', {}, 'Live profile changes'), h('p.hint', {}, 'Changes appear here as they happen (newest first).'), feed);
  sample();
  timer = setInterval(sample, EVERY_S * 1000);
  source = new EventSource('/v1/changes?after=now', { withCredentials: true });
  // The feed names its events "change" (GET /v1/changes with Accept: text/event-stream).
  const onChange = (m) => {
    let c;
    try { c = JSON.parse(m.data); } catch { return; }
    for (const x of [].concat(c.changes || c)) {
      const id = x.profile ?? x.profile_id ?? '';
      feed.prepend(h('li', { 'data-kind': x.kind || '' }, h('time', {}, fmtTime(x.at || x.at_ms || Date.now())), ' ',
        h('strong', {}, x.kind || x.type || 'change'), ' ', h('a', { href: `#/customers/${id}` }, `customer #${id}`),
        x.other ? ` (with #${x.other})` : '', x.source ? ` from ${x.source}${x.record_id ? `:${x.record_id}` : ''}` : ''));
      while (feed.children.length > 50) feed.lastChild.remove();
    }
  };
  source.addEventListener('change', onChange);
  source.onmessage = onChange;
}

function render(samples, charts, stats) {
  const rates = {};
  for (const [k, , , get] of MEASURES) {
    rates[k] = [];
    for (let i = 1; i < samples.length; i++) {
      const dt = (samples[i].t - samples[i - 1].t) / 1000 || 1;
      rates[k].push(Math.max(0, ((get(samples[i].m) ?? 0) - (get(samples[i - 1].m) ?? 0)) / dt));
    }
  }
  const last = samples[samples.length - 1].m;
  charts.replaceChildren(...MEASURES.map(([k, label, unit]) => lineChart(label, rates[k], unit)));
  stats.replaceChildren(h('caption', {}, 'Totals since the daemon started, and the last interval'),
    h('thead', {}, h('tr', {}, ['Measure', 'Total', `Last ${EVERY_S} s`].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, MEASURES.map(([k, label, , get]) => {
      const prev = samples.length > 1 ? samples[samples.length - 2].m : last;
      return h('tr', { 'data-measure': k }, h('th', { scope: 'row' }, label), h('td.num', {}, String(get(last) ?? 0)),
        h('td.num', {}, `+${(get(last) ?? 0) - (get(prev) ?? 0)}`));
    })));
}
