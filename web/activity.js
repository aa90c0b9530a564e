// Activity: the live change feed over Server-Sent Events (GET /v1/changes with the session
// cookie) and the main counters of /metrics, sampled while the page is open.
import { h, show, fmtTime } from './app.js';

let source = null;
let timer = null;

export function stopActivity() {
  if (source) source.close();
  if (timer) clearInterval(timer);
  source = null;
  timer = null;
}

const COUNTERS = [
  ['aurum_records_ingested_total', 'Records ingested'],
  ['aurum_events_ingested_total', 'Events ingested'],
  ['aurum_flow_deliveries_total', 'Flow deliveries'],
  ['aurum_flow_failures_total', 'Flow failures'],
  ['aurum_flow_dead_letters_total', 'Dead letters'],
];

// Sums every series of each counter in the Prometheus text.
function sums(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^([a-z_]+)(\{[^}]*\})?\s+([0-9.eE+-]+)/);
    if (m) out[m[1]] = (out[m[1]] || 0) + Number(m[3]);
  }
  return out;
}

export function activityPage() {
  const feed = h('ol.feed', { id: 'feed', 'aria-live': 'polite' });
  const stats = h('table.grid', { id: 'metrics' });
  const history = [];
  const sample = async () => {
    try {
      const r = await fetch('/metrics', { credentials: 'same-origin' });
      if (!r.ok) return;
      const s = sums(await r.text());
      history.push(s);
      if (history.length > 30) history.shift();
      const prev = history.length > 1 ? history[history.length - 2] : s;
      stats.replaceChildren(h('thead', {}, h('tr', {}, ['Counter', 'Total', 'Last 5 s', 'Trend (last 30 samples)'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, COUNTERS.map(([k, label]) => h('tr', {}, h('th', { scope: 'row' }, label),
          h('td.num', {}, String(s[k] ?? 0)), h('td.num', {}, `+${(s[k] ?? 0) - (prev[k] ?? 0)}`),
          h('td', {}, h('span.spark', { 'aria-hidden': 'true' }, history.map((x, i) => {
            const d = i ? (x[k] ?? 0) - (history[i - 1][k] ?? 0) : 0;
            return '▁▂▃▄▅▆▇█'[Math.min(7, Math.round(Math.log2(1 + d)))];
          }).join('')))))));
    } catch { /* next sample */ }
  };
  show(h('h1', {}, 'Activity'), h('h2', {}, 'Metrics'), stats, h('h2', {}, 'Live profile changes'), feed);
  sample();
  timer = setInterval(sample, 5000);
  source = new EventSource('/v1/changes', { withCredentials: true });
  // The feed names its events "change" (GET /v1/changes with Accept: text/event-stream).
  const onChange = (m) => {
    let c;
    try { c = JSON.parse(m.data); } catch { return; }
    for (const x of [].concat(c.changes || c)) {
      feed.prepend(h('li', {}, h('time', {}, fmtTime(x.at || x.at_ms || Date.now())), ' ',
        h('strong', {}, x.kind || x.type || 'change'), ` profile #${x.profile ?? x.profile_id ?? ''}`,
        x.source ? ` from ${x.source}` : ''));
      while (feed.children.length > 50) feed.lastChild.remove();
    }
  };
  source.addEventListener('change', onChange);
  source.onmessage = onChange;
}
