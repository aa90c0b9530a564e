// Charts drawn as inline SVG with no library. Every chart is readable without colour: each bar
// or point carries its number as text, series differ by fill pattern (solid, hatched, outline)
// and marker shape as well as by colour, and each chart has a text alternative: an aria-label
// summary on the <svg role="img"> and the same data as a table under "Show the numbers".
import { h } from './app.js';

const NS = 'http://www.w3.org/2000/svg';

// s('rect', {x: 1}, kids...): an SVG element (attributes only, never a style attribute: the
// console's CSP forbids inline styles).
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// Series styles: a fill (solid / hatched / outline) and a marker shape, so two series never
// differ by hue alone. The hatch pattern is defined once per chart (ids are per chart).
export const SERIES = [
  { name: 'solid', fill: '#0b4f8a', stroke: '#0b4f8a', marker: 'circle', dash: null },
  { name: 'hatched', fill: 'url(#hatch)', stroke: '#7a2e00', marker: 'square', dash: '6 3' },
  { name: 'outline', fill: '#ffffff', stroke: '#1a1a1a', marker: 'triangle', dash: '2 2' },
];

function defs(uid) {
  return s('defs', {}, s('pattern', { id: `hatch-${uid}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    s('rect', { width: 6, height: 6, fill: '#ffffff' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#7a2e00', 'stroke-width': 3 })));
}
let uidSeq = 0;
const fillOf = (st, uid) => (st.fill === 'url(#hatch)' ? `url(#hatch-${uid})` : st.fill);

function table(caption, head, rows) {
  return h('details.numbers', {}, h('summary', {}, 'Show the numbers'),
    h('table.grid', {}, h('caption', {}, caption),
      h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i ? h('td.num', {}, String(c)) : h('th', { scope: 'row' }, String(c)))))))));
}

// Horizontal bars, one per item {label, value}, largest first; the label and the number are
// written beside each bar.
export function barChart(title, items, opts = {}) {
  const uid = ++uidSeq;
  const rows = [...items].sort((a, b) => b.value - a.value).slice(0, opts.max || 15);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const lw = Math.min(440, Math.max(120, 12 + 7 * Math.max(0, ...rows.map((r) => r.label.length))));
  const bw = 320, rh = 24, W = lw + bw + 70, H = rows.length * rh + 8;
  const summary = rows.length ? `${title}: ${rows.map((r) => `${r.label} ${r.value}`).join('; ')}` : `${title}: nothing to show`;
  const svg = s('svg', { role: 'img', 'aria-label': summary, viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart' },
    s('title', {}, summary), defs(uid),
    rows.map((r, i) => {
      const y = 4 + i * rh, w = Math.max(2, Math.round((r.value / max) * bw));
      const st = SERIES[(r.series || 0) % SERIES.length];
      return s('g', {},
        s('text', { x: lw - 6, y: y + 16, 'text-anchor': 'end', class: 'lbl' }, r.label),
        s('rect', { x: lw, y: y + 3, width: w, height: rh - 8, fill: fillOf(st, uid), stroke: st.stroke }),
        s('text', { x: lw + w + 6, y: y + 16, class: 'val' }, String(r.value)));
    }));
  return h('figure.chart', {}, h('figcaption', {}, title), rows.length ? svg : h('p.muted', {}, opts.empty || 'Nothing to show.'),
    rows.length ? table(title, [opts.labelHead || 'Item', opts.valueHead || 'Count'], rows.map((r) => [r.label, r.value])) : null);
}

// Grouped columns over categories (days): series [{name, values[]}] drawn solid, hatched or
// outlined, each column with its number above it; a legend names the fills.
export function columnChart(title, categories, series, opts = {}) {
  const uid = ++uidSeq;
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const gw = Math.max(28, series.length * 22 + 10), ch = 150, top = 18, left = 8;
  const W = left + categories.length * gw + 8, H = top + ch + 40;
  const summary = `${title}: ${categories.map((c, i) => `${c}: ${series.map((x) => `${x.name} ${x.values[i]}`).join(', ')}`).join('; ')}`;
  const svg = s('svg', { role: 'img', 'aria-label': summary, viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart' },
    s('title', {}, summary), defs(uid),
    s('line', { x1: left, y1: top + ch, x2: W - 4, y2: top + ch, stroke: '#4a4a4a' }),
    categories.map((c, i) => {
      const x0 = left + i * gw + 4;
      return s('g', {}, series.map((x, k) => {
        const st = SERIES[k % SERIES.length], v = x.values[i] || 0;
        const hgt = Math.round((v / max) * (ch - 14)), bx = x0 + k * 20;
        return s('g', {}, s('rect', { x: bx, y: top + ch - hgt, width: 16, height: Math.max(hgt, 1), fill: fillOf(st, uid), stroke: st.stroke }),
          s('text', { x: bx + 8, y: top + ch - hgt - 3, 'text-anchor': 'middle', class: 'val small' }, String(v)));
      }), s('text', { x: x0 + (series.length * 20) / 2, y: top + ch + 14, 'text-anchor': 'middle', class: 'lbl small' }, opts.short ? opts.short(c) : c));
    }));
  const legend = h('ul.legend', {}, series.map((x, k) => h('li', {},
    s('svg', { width: 16, height: 12, 'aria-hidden': 'true' }, defs(`${uid}-${k}`), s('rect', { x: 1, y: 1, width: 14, height: 10, fill: fillOf(SERIES[k % SERIES.length], `${uid}-${k}`), stroke: SERIES[k % SERIES.length].stroke })),
    ` ${x.name} (${SERIES[k % SERIES.length].name})`)));
  return h('figure.chart', {}, h('figcaption', {}, title), legend, h('div.scroll', {}, svg),
    table(title, [opts.categoryHead || 'Day', ...series.map((x) => x.name)], categories.map((c, i) => [c, ...series.map((x) => x.values[i] || 0)])));
}

// A line over the last samples with its current value and peak written out (small multiples:
// one chart per measure, so no two lines share a chart and need telling apart).
export function lineChart(title, values, unit) {
  const peak = values.length ? Math.max(...values) : 0;
  const W = 260, H = 70, max = Math.max(1e-9, peak), n = Math.max(values.length, 2);
  const pts = values.map((v, i) => `${(i / (n - 1)) * (W - 10) + 5},${H - 8 - (v / max) * (H - 24)}`).join(' ');
  const now = values.length ? values[values.length - 1] : 0;
  const fmt = (v) => (v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(2));
  const summary = `${title}: now ${fmt(now)} ${unit}, peak ${fmt(peak)} ${unit} over the last ${values.length} samples`;
  return h('figure.chart.small', {}, h('figcaption', {}, title),
    s('svg', { role: 'img', 'aria-label': summary, viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart' },
      s('title', {}, summary),
      s('line', { x1: 5, y1: H - 8, x2: W - 5, y2: H - 8, stroke: '#767676' }),
      values.length > 1 ? s('polyline', { points: pts, fill: 'none', stroke: '#0b4f8a', 'stroke-width': 2 }) : null,
      values.length ? s('circle', { cx: W - 5, cy: H - 8 - (now / max) * (H - 24), r: 3, fill: '#0b4f8a' }) : null,
      s('text', { x: 5, y: 12, class: 'val small' }, `now ${fmt(now)} ${unit} · peak ${fmt(peak)}`)));
}
