// The console's shell: session (sign-in, CSRF token, scopes), the API client, the hash router
// and the small DOM helpers every page uses. No framework: pages are functions that fill <main>.
import { customersPage, profilePage, reviewPage } from './customers.js';
import { flowsPage, flowPage } from './flows.js';
import { builderPage } from './builder.js';
import { sourcesPage } from './sources.js';
import { activityPage, stopActivity } from './activity.js';

export const state = { session: null };

// h('tag.class', {attr: v, onclick: fn}, children...): builds DOM without innerHTML, so no
// value from the data can ever become markup.
export function h(spec, attrs, ...kids) {
  const [tag, ...cls] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (cls.length) el.className = cls.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// Calls the API with the session cookie; writes carry the CSRF token.
export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (r.status === 401 && path !== '/v1/session') { state.session = null; route(); }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

export const canWrite = () => !!(state.session && state.session.scopes.admin);

export function fmtTime(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(typeof v === 'number' ? v : String(v));
  return isNaN(d) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

export function errorBox(e) {
  return h('p.error', { role: 'alert' }, 'Error: ', e.message || String(e));
}

// A confirmation dialog; resolves true when the user confirms.
export function confirmDialog(title, text, okLabel) {
  return new Promise((resolve) => {
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    const dlg = h('dialog.confirm', { 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title), h('p', {}, text),
      h('div.buttons', {},
        h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
        h('button.danger', { type: 'button', onclick: () => done(true) }, okLabel || 'Confirm')));
    dlg.addEventListener('cancel', () => resolve(false));
    document.body.append(dlg);
    dlg.showModal();
  });
}

export function toast(msg) {
  const t = h('p.toast', { role: 'status' }, msg);
  document.body.append(t);
  setTimeout(() => t.remove(), 4000);
}

function signInPage(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', { id: 'key', type: 'password', autocomplete: 'off', required: true });
  const err = h('p.error', { role: 'alert' }, message || '');
  const form = h('form.signin', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      try { await signIn(input.value); } catch (e) { err.textContent = e.message; }
    },
  }, h('h1', {}, 'Sign in to Aurum'),
  h('label', { for: 'key' }, 'API key'), input,
  h('p.hint', {}, 'The console acts with this key\'s scopes; the key is exchanged for a session ' +
    'cookie and not stored by the browser.'),
  h('button', { type: 'submit' }, 'Sign in'), err);
  show(form);
  input.focus();
}

async function signIn(key) {
  state.session = await api('POST', '/v1/session', { key });
  if (!location.hash.startsWith('#/')) location.hash = '#/customers';
  route();
}

async function signOut() {
  try { await api('DELETE', '/v1/session'); } catch { /* already gone */ }
  state.session = null;
  route();
}

const routes = [
  [/^#\/customers\/(\d+)$/, (m) => profilePage(Number(m[1]))],
  [/^#\/customers\/?(?:\?q=(.*))?$/, (m) => customersPage(m[1] ? decodeURIComponent(m[1]) : '')],
  [/^#\/review$/, () => reviewPage()],
  [/^#\/flows\/new$/, () => builderPage(null)],
  [/^#\/flows\/([^/]+)\/edit$/, (m) => builderPage(decodeURIComponent(m[1]))],
  [/^#\/flows\/([^/]+)$/, (m) => flowPage(decodeURIComponent(m[1]))],
  [/^#\/flows$/, () => flowsPage()],
  [/^#\/sources$/, () => sourcesPage()],
  [/^#\/activity$/, () => activityPage()],
];

export async function route() {
  stopActivity();
  if (!state.session) {
    try { state.session = await api('GET', '/v1/session'); } catch { return signInPage(); }
  }
  const nav = document.getElementById('nav');
  nav.hidden = false;
  const s = state.session;
  document.getElementById('who').replaceChildren(
    `Key ${s.key_id} · ${s.scopes.admin ? 'admin' : s.scopes.masked ? 'read, masked' : 'read only'} `,
    h('button.link', { type: 'button', onclick: signOut }, 'Sign out'));
  const hash = location.hash || '#/customers';
  for (const a of nav.querySelectorAll('a'))
    a.toggleAttribute('aria-current', hash.startsWith(a.getAttribute('href')));
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      try { await fn(m); } catch (e) { show(errorBox(e)); }
      document.getElementById('main').focus({ preventScroll: true });
      return;
    }
  }
  location.hash = '#/customers';
}

// A sign-in link carries the key in the fragment (#key=...), which browsers never send to the
// server, so it reaches no access log; it is exchanged at once and removed from the address bar.
async function start() {
  const m = location.hash.match(/^#key=([^&]+)/);
  if (m) {
    history.replaceState(null, '', location.pathname + '#/customers');
    try { await signIn(decodeURIComponent(m[1])); return; } catch (e) { return signInPage(e.message); }
  }
  route();
}

window.addEventListener('hashchange', route);
start();
