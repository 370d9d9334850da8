/**
 * The operator's dashboard at GET /: one self-contained page (inline CSS and JS, no CDN, works with the
 * hub offline from the internet) that loads /api/state, then stays live on the `/dashboard` WebSocket,
 * which pushes {"type":"state","state":HubStateView}. Readable on a phone. Data from terminals reaches
 * the DOM only through textContent, never as HTML. Elements carry data-testid for the browser tests.
 * It asks for the admin token once (a form, kept in sessionStorage for the tab): the state it shows
 * (staff, devices, leases) is not for guests on the LAN.
 */

const STYLE = `
:root { --bg:#f4f5f7; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e3e6ea; --ok:#157f3b; --warn:#b54708; --bad:#b42318; --accent:#2450b2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:8px 16px; padding:12px 16px; background:var(--ink); color:#fff; }
header h1 { margin:0; font-size:18px; font-weight:600; }
header .meta { font-size:13px; color:#c8cdd6; }
.conn { margin-left:auto; font-size:13px; padding:2px 10px; border-radius:999px; background:#475467; }
.conn.live { background:var(--ok); } .conn.reconnecting { background:var(--warn); } .conn.offline { background:var(--bad); }
main { padding:12px; max-width:1200px; margin:0 auto; }
.stats { display:grid; grid-template-columns:repeat(auto-fill,minmax(150px,1fr)); gap:10px; margin-bottom:14px; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 12px; min-width:0; }
.stat .label { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.stat .value { font-size:24px; font-weight:650; overflow-wrap:anywhere; }
.stat .value.small { font-size:15px; font-weight:600; padding-top:6px; }
.good { color:var(--ok); } .warn { color:var(--warn); } .bad { color:var(--bad); }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; margin-bottom:14px; }
section h2 { margin:0; padding:10px 12px; font-size:15px; border-bottom:1px solid var(--line); display:flex; justify-content:space-between; }
section h2 .count { color:var(--muted); font-weight:500; }
.scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; }
table { width:100%; border-collapse:collapse; font-size:14px; }
th, td { text-align:left; padding:7px 12px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { font-size:12px; color:var(--muted); font-weight:600; text-transform:uppercase; }
tr:last-child td { border-bottom:none; }
td.empty { color:var(--muted); font-style:italic; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; background:#eef1f5; }
.badge.pending { background:#fef0c7; } .badge.forwarded { background:#d1fadf; } .badge.dead { background:#fee4e2; } .badge.local { background:#eef1f5; }
.grid2 { display:grid; grid-template-columns:minmax(0,1fr); gap:0 14px; }
.grid2 > section { min-width:0; }
@media (min-width: 900px) { .grid2 { grid-template-columns:minmax(0,1fr) minmax(0,1fr); } }
.danger { border-color:#f3c7c3; }
.danger .body { padding:12px; display:flex; flex-wrap:wrap; gap:10px; align-items:center; }
button.reset { background:var(--bad); color:#fff; border:0; border-radius:8px; padding:10px 16px; font-size:15px; font-weight:600; cursor:pointer; }
#reset-result { font-size:14px; }
.signin { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px; margin-bottom:14px; display:flex; flex-wrap:wrap; gap:8px; align-items:center; }
.signin[hidden] { display:none; }
.signin p { margin:0; width:100%; }
.signin input { font-size:15px; padding:6px 8px; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var offset = 0;
  var state = null;
  var retry = 0;
  function $(id) { return document.getElementById(id); }
  function now() { return Date.now() + offset; }
  function setConn(kind, text) { var el = $('conn'); el.className = 'conn ' + kind; el.textContent = text; el.setAttribute('data-state', kind); }
  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60); s = s % 60;
    if (m < 60) return m + 'm ' + (s < 10 ? '0' : '') + s + 's';
    var h = Math.floor(m / 60); m = m % 60;
    if (h < 48) return h + 'h ' + (m < 10 ? '0' : '') + m + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function ago(ms) { return ms < 1500 ? 'just now' : duration(ms) + ' ago'; }
  function clock(iso) { var d = new Date(iso); return isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString(); }
  function cell(text, cls) { var td = document.createElement('td'); td.textContent = text == null ? '' : String(text); if (cls) td.className = cls; return td; }
  function fill(bodyId, items, columns, emptyText, rowId, countId) {
    var body = $(bodyId);
    body.textContent = '';
    if (countId) $(countId).textContent = String(items.length);
    if (items.length === 0) {
      var tr = document.createElement('tr'); var td = cell(emptyText, 'empty'); td.colSpan = columns; tr.appendChild(td); body.appendChild(tr);
      return;
    }
    items.forEach(function (item) { body.appendChild(rowId(item)); });
  }
  function bytes(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' kB' : (n / 1048576).toFixed(1) + ' MB'; }
  // SQLite: one box, nothing replicated. Postgres: the primary's best standby and how far behind it replays.
  function replicationText(c) {
    if (c.role === 'standalone') return 'single box (SQLite)';
    var r = c.replication;
    if (!r) return 'no primary answering';
    if (r.standbys === 0) return 'no standby: one copy only';
    return (r.syncState || '?') + ' · lag ' + (r.lagBytes == null ? 'unknown' : bytes(r.lagBytes));
  }
  function replicationClass(c) {
    if (c.role === 'standalone') return '';
    var r = c.replication;
    if (!r || r.standbys === 0) return ' bad';
    return r.syncState === 'sync' || r.syncState === 'quorum' ? ' good' : ' warn';
  }
  function setStat(key, text, cls) { var el = $('stat-' + key); el.textContent = text; el.className = 'value' + (cls ? ' ' + cls : ''); }
  function render(next) {
    if (!next || !next.health) return;
    state = next;
    offset = typeof next.serverTime === 'number' ? next.serverTime - Date.now() : 0;
    var h = next.health;
    setStat('connectedTerminals', String(h.connectedTerminals));
    setStat('activeLeases', String(h.activeLeases));
    setStat('activeLocks', String(h.activeLocks == null ? '-' : h.activeLocks));
    setStat('orders', String(h.orders));
    setStat('pendingForward', String(h.pendingForward), h.pendingForward > 0 ? 'warn' : '');
    setStat('totalForwarded', String(h.totalForwarded));
    setStat('deadLetters', String(h.deadLetters == null ? 0 : h.deadLetters), h.deadLetters > 0 ? 'bad' : '');
    setStat('lastOdooSync', h.lastOdooSync ? clock(h.lastOdooSync) : 'never', 'small' + (h.odooReachable === false ? ' bad' : ''));
    setStat('uws', h.uws || '-', 'small' + (h.uws === 'native' ? ' good' : ' warn'));
    setStat('status', h.status + (h.odooReachable === false ? ' (Odoo unreachable)' : ''), 'small' + (h.status === 'ok' ? ' good' : ' warn'));
    var c = h.cluster || { role: 'standalone', epoch: 0, leader: null, replication: null };
    var stuck = c.role === 'leader' && c.ownNode === 'primary_cannot_commit';
    var wait = h.odooForwardWait;
    setStat('clusterRole', c.role + ' · epoch ' + c.epoch + (c.role === 'follower' && c.leader ? ' (leader ' + c.leader.url + ')' : '') + (stuck ? ' · its node cannot commit' : '') + (wait ? ' · Odoo paused ' + wait.remainingSeconds + ' s (waiting out the previous leader)' : ''), 'small' + (stuck ? ' bad' : c.role === 'follower' || wait ? ' warn' : ' good'));
    $('stat-clusterRole').title = wait ? wait.reason + ' — until ' + clock(wait.until) : '';
    setStat('replication', replicationText(c), 'small' + replicationClass(c));
    $('version').textContent = h.version ? 'v' + h.version : '';
    $('uptime').textContent = 'up ' + duration((h.uptime || 0) * 1000);
    fill('terminals-body', next.terminals || [], 5, 'No terminals connected', function (t) {
      var tr = document.createElement('tr'); tr.setAttribute('data-testid', 'terminal-row'); tr.setAttribute('data-terminal-id', t.terminalId);
      tr.appendChild(cell(t.terminalId)); tr.appendChild(cell(t.deviceId)); tr.appendChild(cell(t.role + (t.userName ? ' · ' + t.userName : '')));
      var seen = cell(''); seen.setAttribute('data-since', String(t.lastSeen)); seen.className = 'since'; tr.appendChild(seen);
      tr.appendChild(cell(t.encoding)); return tr;
    }, 'terminals-count');
    fill('leases-body', next.leases || [], 5, 'No active leases', function (l) {
      var tr = document.createElement('tr'); tr.setAttribute('data-testid', 'lease-row'); tr.setAttribute('data-pos-reference', l.posReference);
      tr.appendChild(cell(l.posReference));
      var exp = cell(''); exp.setAttribute('data-expires-at', String(l.expiresAt)); exp.setAttribute('data-testid', 'lease-expiry'); exp.className = 'expiry'; tr.appendChild(exp);
      tr.appendChild(cell(l.terminalId)); tr.appendChild(cell(l.role)); tr.appendChild(cell(l.tableId == null ? '-' : l.tableId));
      return tr;
    }, 'leases-count');
    fill('locks-body', next.locks || [], 4, 'No table locks', function (k) {
      var tr = document.createElement('tr'); tr.setAttribute('data-testid', 'lock-row'); tr.setAttribute('data-table-id', String(k.tableId));
      tr.appendChild(cell(k.tableId));
      var exp = cell(''); exp.setAttribute('data-expires-at', String(k.expiresAt)); exp.className = 'expiry'; tr.appendChild(exp);
      tr.appendChild(cell(k.terminalId)); tr.appendChild(cell(k.role));
      return tr;
    }, 'locks-count');
    fill('events-body', (next.events || []).slice(0, 50), 4, 'No events yet', function (e) {
      var tr = document.createElement('tr'); tr.setAttribute('data-testid', 'event-row');
      tr.appendChild(cell(e.type)); tr.appendChild(cell(e.posReference == null ? '-' : e.posReference));
      var st = cell(''); var b = document.createElement('span'); b.className = 'badge ' + e.status; b.textContent = e.status; st.appendChild(b); tr.appendChild(st);
      tr.appendChild(cell(clock(e.createdAt))); return tr;
    }, 'events-count');
    tick();
    document.body.setAttribute('data-loaded', 'true');
  }
  function tick() {
    var t = now();
    var cells = document.querySelectorAll('.expiry');
    for (var i = 0; i < cells.length; i++) {
      var left = Number(cells[i].getAttribute('data-expires-at')) - t;
      cells[i].textContent = left > 0 ? 'in ' + duration(left) : 'expired';
      cells[i].className = 'expiry' + (left <= 0 ? ' bad' : left < 15000 ? ' warn' : '');
    }
    var seen = document.querySelectorAll('.since');
    for (var j = 0; j < seen.length; j++) seen[j].textContent = ago(t - Number(seen[j].getAttribute('data-since')));
  }
  // The admin token is asked once and kept for this tab only (sessionStorage), never in the URL.
  var TOKEN_KEY = 'pos_hub_admin_token';
  function adminToken() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function askToken(why) {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off: ask every time */ }
    $('signin-reason').textContent = why;
    $('signin').hidden = false;
    setConn('offline', 'admin token needed');
    $('signin-token').focus();
  }
  function signedOut(status) { return status === 401 || status === 403 || status === 429; }
  function loadState() {
    return fetch('/api/state', { cache: 'no-store', headers: { Authorization: 'Bearer ' + adminToken() } }).then(function (r) {
      if (signedOut(r.status)) { var e = new Error('HTTP ' + r.status); e.status = r.status; throw e; }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(render);
  }
  function connect() {
    var ws;
    try { ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/dashboard'); }
    catch (e) { return reconnect(); }
    ws.onopen = function () { ws.send(JSON.stringify({ type: 'auth', token: adminToken() })); retry = 0; setConn('live', 'live'); };
    ws.onmessage = function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg && msg.type === 'state') render(msg.state);
    };
    ws.onclose = function (ev) { if (ev.code === 4001) askToken('The hub refused the admin token.'); else reconnect(); };
  }
  function start() {
    if (adminToken() === '') { askToken('The dashboard shows staff and devices: enter the hub admin token (HUB_ADMIN_TOKEN).'); return; }
    setConn('offline', 'connecting…');
    loadState().then(connect, function (e) {
      if (e.status) askToken(e.status === 429 ? 'Too many wrong tokens; wait a minute.' : 'The hub refused the admin token (HTTP ' + e.status + ').');
      else { setConn('offline', 'hub unreachable: ' + e.message); connect(); }
    });
  }
  $('signin').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var token = $('signin-token').value;
    $('signin-token').value = '';
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* kept nowhere: asked again next time */ }
    $('signin').hidden = true;
    start();
  });
  function reconnect() {
    setConn('reconnecting', 'reconnecting…');
    var delay = Math.min(10000, 500 * Math.pow(2, retry)); retry += 1;
    setTimeout(connect, delay);
  }
  function showReset(kind, text) { var el = $('reset-result'); el.className = kind; el.textContent = text; el.setAttribute('data-result', kind); }
  function errorOf(body) {
    if (!body || typeof body !== 'object') return {};
    var e = body.error && typeof body.error === 'object' ? body.error : body;
    return { code: e.code, message: e.message };
  }
  $('reset').addEventListener('click', function () {
    if (!confirm('Reset ALL hub data?\\n\\nEvery order, lease, table lock and event in the hub database is deleted and every terminal is told to resync. Orders not yet in Odoo are lost.')) return;
    var token = adminToken();
    showReset('', 'Resetting…');
    fetch('/api/reset', { method: 'POST', headers: { Authorization: 'Bearer ' + token } }).then(function (r) {
      return r.text().then(function (text) { var body = null; try { body = JSON.parse(text); } catch (e) { body = null; } return { status: r.status, ok: r.ok, body: body, text: text }; });
    }).then(function (res) {
      if (res.ok) { showReset('good', 'Reset done: all hub data cleared; terminals are resyncing.'); return; }
      var err = errorOf(res.body);
      showReset('bad', 'Reset refused (HTTP ' + res.status + (err.code ? ' ' + err.code : '') + '): ' + (err.message || res.text || 'no reason given'));
    }).catch(function (e) { showReset('bad', 'Reset failed: ' + e.message); });
  });
  setInterval(tick, 1000);
  start();
})();
`;

interface Stat {
  readonly key: string;
  readonly label: string;
}

const STATS: readonly Stat[] = [
  { key: 'connectedTerminals', label: 'Terminals' },
  { key: 'activeLeases', label: 'Active leases' },
  { key: 'activeLocks', label: 'Table locks' },
  { key: 'orders', label: 'Orders' },
  { key: 'pendingForward', label: 'Pending to Odoo' },
  { key: 'totalForwarded', label: 'Forwarded' },
  { key: 'deadLetters', label: 'Dead letters' },
  { key: 'lastOdooSync', label: 'Last Odoo sync' },
  { key: 'uws', label: 'uWS' },
  { key: 'status', label: 'Status' },
  { key: 'clusterRole', label: 'Role · epoch' },
  { key: 'replication', label: 'Replication' },
];

function statCard(stat: Stat): string {
  return `<div class="stat" data-testid="stat-card-${stat.key}"><div class="label">${stat.label}</div><div class="value" id="stat-${stat.key}" data-testid="stat-${stat.key}">–</div></div>`;
}

function table(id: string, title: string, headings: readonly string[]): string {
  const ths = headings.map((h) => `<th>${h}</th>`).join('');
  return `<section id="${id}" data-testid="${id}"><h2>${title} <span class="count" id="${id}-count" data-testid="${id}-count">0</span></h2><div class="scroll"><table><thead><tr>${ths}</tr></thead><tbody id="${id}-body" data-testid="${id}-body"></tbody></table></div></section>`;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<link rel="icon" href="data:,">
<title>POS Hub</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>POS Hub</h1>
<span class="meta" id="version" data-testid="version"></span>
<span class="meta" id="uptime" data-testid="uptime"></span>
<span class="conn" id="conn" data-testid="connection">connecting…</span>
</header>
<main>
<form id="signin" class="signin" data-testid="signin" hidden>
<p id="signin-reason" data-testid="signin-reason"></p>
<label>Admin token <input id="signin-token" data-testid="admin-token" type="password" autocomplete="current-password" required></label>
<button type="submit" data-testid="signin-button">Open the dashboard</button>
</form>
<div class="stats" id="stats" data-testid="stats">${STATS.map(statCard).join('')}</div>
${table('terminals', 'Terminals', ['ID', 'Device', 'Role', 'Last seen', 'Encoding'])}
<div class="grid2">
${table('leases', 'Order leases', ['Order', 'Expires', 'Terminal', 'Role', 'Table'])}
${table('locks', 'Table locks', ['Table', 'Expires', 'Terminal', 'Role'])}
</div>
${table('events', 'Last 50 events', ['Type', 'Reference', 'Status', 'Time'])}
<section class="danger" id="admin"><h2>Administration</h2><div class="body">
<button type="button" class="reset" id="reset" data-testid="reset-button">Reset All Data</button>
<span id="reset-result" data-testid="reset-result" role="status" aria-live="polite"></span>
</div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The whole dashboard page; static, so the front thread can serve it from memory. */
export function dashboardHtml(): string {
  return PAGE;
}
