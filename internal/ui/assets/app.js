// lumamock dashboard: reads the admin API of the server that serves it and polls it for what is new.
// Everything shown comes from journals that clients control, so it is always set as text (textContent),
// never as markup.
"use strict";

(function () {
  const POLL_MS = 1000;
  const TASK_PAGE = 100; // tasks on one page
  const WINDOW = 300; // journal records kept in view (Load older adds more)
  const MAX_WINDOW = 3000;
  const NEWEST = "9007199254740991"; // before= this reads the newest records
  const TOKEN_KEY = "lumamock.adminToken";
  const SESSION_KEY = "lumamock.session";
  const DEFAULT_SESSION = "default";

  const $ = (id) => document.getElementById(id);

  const st = {
    cfg: { server: "mock", tasks: true, token: false },
    tab: "tasks",
    paused: false,
    failing: 0,
    tasks: { rows: [], states: "", q: "", before: NEWEST, newer: [], total: 0, counts: {}, now: null },
    journals: {
      requests: { items: new Map(), last: 0, first: 1, loaded: false, filter: "", extra: 0 },
      callbacks: { items: new Map(), last: 0, first: 1, loaded: false, filter: "", extra: 0 },
    },
    sel: null, // {kind: "task"|"callback"|"request", key}
    detailSig: "",
    taskDetail: null, // {id, callbacks, requests}
    coverage: null, // GET /__mock/coverage
    session: DEFAULT_SESSION, // the session shown (a mock's)
    sessions: [], // GET /__mock/sessions
    clock: null, // GET .../clock: the session's time
    settingsFor: null, // the session whose settings the form shows
    settingsEdits: 0, // counts the reader's edits and saves: a read started before one must not overwrite it
  };

  // ---- small helpers --------------------------------------------------------------------------------------

  // el builds an element: attrs are properties or attributes (never innerHTML); children are nodes or text.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = String(v);
      else if (k === "title") e.title = String(v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function pad(n, w) { return String(n).padStart(w || 2, "0"); }

  // clock shows a time as UTC hh:mm:ss.mmm; its title has the date.
  function clock(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  }
  function timeCell(iso) { return el("td", { class: "mono", title: iso || "" }, clock(iso)); }

  function human(ms) {
    const a = Math.abs(ms);
    if (a < 1000) return `${Math.round(a)}ms`;
    if (a < 60000) return `${(a / 1000).toFixed(a < 10000 ? 1 : 0)}s`;
    if (a < 3600000) return `${Math.floor(a / 60000)}m${pad(Math.floor((a % 60000) / 1000))}s`;
    return `${Math.floor(a / 3600000)}h${pad(Math.floor((a % 3600000) / 60000))}m`;
  }

  // goDuration parses a Go duration string ("1m30s", "250ms", "0s") into milliseconds.
  function goDuration(s) {
    if (!s) return 0;
    const units = { h: 3600000, m: 60000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
    let ms = 0;
    for (const m of String(s).matchAll(/([0-9.]+)(h|ms|m|s|us|µs|ns)/g)) ms += parseFloat(m[1]) * units[m[2]];
    return ms;
  }

  function cut(s, n) { s = String(s || ""); return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function short(id) { id = String(id || ""); return id.length > 13 ? id.slice(0, 8) + "…" + id.slice(-4) : id; }

  // safeLink is a link for an http(s) URL, plain text for anything else.
  function safeLink(url, label) {
    let u;
    try { u = new URL(String(url)); } catch (e) { return document.createTextNode(String(url || "")); }
    if (u.protocol !== "http:" && u.protocol !== "https:") return document.createTextNode(String(url));
    return el("a", { href: u.href, target: "_blank", rel: "noopener noreferrer", title: u.href, text: label || u.href });
  }

  function badge(state) { return el("span", { class: `badge st-${state}`, text: state || "?" }); }
  function statusSpan(code, err) {
    if (!code) return el("span", { class: "status serr", text: err ? "error" : "—", title: err || "" });
    return el("span", { class: `status s${String(code)[0]}`, text: code });
  }
  function pretty(body) {
    if (body === undefined || body === null || body === "") return "";
    if (typeof body !== "string") return JSON.stringify(body, null, 2);
    try { return JSON.stringify(JSON.parse(body), null, 2); } catch (e) { return body; }
  }

  let toastTimer = 0;
  function toast(msg, isError) {
    const t = $("toast");
    t.textContent = msg;
    t.className = "toast" + (isError ? " error" : "");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  // ---- the admin API ----------------------------------------------------------------------------------------

  // Unauthorized is a 401; token is the admin token the refused request carried ("" for none).
  class Unauthorized extends Error {
    constructor(message, token) { super(message); this.token = token; }
  }

  // api calls the admin API of this server (same origin), with the admin token when one is kept.
  async function api(path, opts) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    const o = Object.assign({ cache: "no-store", credentials: "same-origin" }, opts || {});
    o.headers = Object.assign(headers, (opts && opts.headers) || {});
    const res = await fetch(path, o);
    if (res.status === 401) throw new Unauthorized("the admin API wants the admin token", token || "");
    let data = null;
    const text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch (e) { data = text; } }
    if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
    return { data, headers: res.headers };
  }

  // scoped is an admin path of the session shown: sessions/NAME/path on a server with sessions.
  function scoped(path) {
    if (!st.cfg.sessions) return path;
    return `sessions/${encodeURIComponent(st.session)}/${path}`;
  }

  function askToken() {
    const d = $("token-dialog");
    if (!d.open) { $("token-input").value = ""; d.showModal(); }
  }

  // refused handles a 401: when it refused the token kept now (or no token, when none is kept), it drops that
  // token and asks for one, and returns true. A refusal of a request sent before the reader entered the token
  // they keep now says nothing of that token: it is left alone, and the next poll uses it.
  function refused(e) {
    if ((sessionStorage.getItem(TOKEN_KEY) || "") !== e.token) return false;
    sessionStorage.removeItem(TOKEN_KEY);
    askToken();
    return true;
  }

  // ---- polling ----------------------------------------------------------------------------------------------

  let timer = 0;
  let polling = false;
  async function poll() {
    clearTimeout(timer);
    if (polling) return;
    polling = true;
    try {
      if (!st.paused) {
        if (st.cfg.sessions) await pollSessions();
        const jobs = [pollJournal("requests"), pollJournal("callbacks")];
        if (st.cfg.sessions) jobs.push(pollClock(), pollSettings());
        if (st.cfg.tasks) jobs.push(pollTasks());
        if (st.cfg.coverage) jobs.push(pollCoverage());
        if (st.sel && st.sel.kind === "task") jobs.push(pollTaskDetail(st.sel.key));
        await Promise.all(jobs);
        st.failing = 0;
        // The time of this answer, on the server's clock when it tells it (the tables' times are), as they show it.
        const at = st.cfg.tasks && st.tasks.now ? new Date(st.tasks.now) : new Date();
        setLive("on", "live · " + clock(at.toISOString()).slice(0, 8) + " UTC");
        render();
      }
    } catch (e) {
      if (e instanceof Unauthorized) {
        if (refused(e)) setLive("off", "needs the admin token");
      } else {
        st.failing++;
        setLive("off", "disconnected: " + e.message + " (retrying)");
      }
    } finally {
      polling = false;
      timer = setTimeout(poll, st.failing ? Math.min(10000, POLL_MS * 2 ** st.failing) : POLL_MS);
    }
  }

  function setLive(cls, text) {
    $("live-dot").className = "dot " + (st.paused ? "paused" : cls);
    $("live-text").textContent = st.paused ? "paused" : text;
  }

  function journalQuery(name) {
    const j = st.journals[name];
    if (name === "requests" && j.filter) return "&valid=false";
    return "";
  }

  // pollJournal reads what is new in a journal: the newest page first, then what came since the last read.
  async function pollJournal(name) {
    const j = st.journals[name];
    const q = journalQuery(name);
    let recs = [];
    let h;
    if (!j.loaded) {
      const r = await api(scoped(`${name}?before=${NEWEST}&limit=${WINDOW}${q}`));
      recs = r.data || [];
      h = r.headers;
      j.loaded = true;
    } else {
      for (let i = 0; i < 5; i++) { // at most 5 pages a tick; a burst larger than that jumps to the newest
        const r = await api(scoped(`${name}?since=${j.last}&limit=1000${q}`));
        h = r.headers;
        recs = recs.concat(r.data || []);
        if ((r.data || []).length < 1000) break;
        if (i === 4) {
          const n = await api(scoped(`${name}?before=${NEWEST}&limit=${WINDOW}${q}`));
          j.items.clear();
          recs = n.data || [];
        }
      }
    }
    const first = Number(h.get("X-Lumamock-First-Seq") || 1);
    const last = Number(h.get("X-Lumamock-Last-Seq") || 0);
    if (last < j.last) { // numbering went back: the server restarted; read it afresh
      j.items.clear();
      j.loaded = false;
      j.last = 0;
      j.extra = 0;
      return pollJournal(name);
    }
    for (const rec of recs) j.items.set(rec.seq, rec);
    j.last = Math.max(j.last, last, ...recs.map((r) => r.seq));
    j.first = first;
    for (const seq of j.items.keys()) if (seq < first) j.items.delete(seq); // forgotten: evicted or reset
    // keep the newest records in view, and those the reader asked for with Load older
    const keep = Math.min(MAX_WINDOW, WINDOW + j.extra);
    if (j.items.size > keep) {
      const seqs = [...j.items.keys()].sort((a, b) => a - b);
      for (const seq of seqs.slice(0, seqs.length - keep)) j.items.delete(seq);
    }
    j.kept = Math.max(0, last - first + 1);
  }

  async function loadOlder(name) {
    const j = st.journals[name];
    const oldest = Math.min(...j.items.keys());
    if (!isFinite(oldest)) return;
    const r = await api(scoped(`${name}?before=${oldest}&limit=${WINDOW}${journalQuery(name)}`));
    for (const rec of r.data || []) j.items.set(rec.seq, rec);
    j.extra += (r.data || []).length;
    render();
  }

  async function pollTasks() {
    const t = st.tasks;
    const params = new URLSearchParams({ limit: String(TASK_PAGE), before: t.before });
    if (t.states) params.set("state", t.states);
    if (t.q) params.set("id", t.q);
    const r = await api(scoped("tasks?" + params.toString()));
    t.rows = (r.data || []).slice().reverse(); // newest first
    t.total = Number(r.headers.get("X-Total-Count") || t.rows.length);
    t.counts = {};
    for (const part of (r.headers.get("X-Lumamock-Task-Counts") || "").split(",")) {
      const [k, v] = part.trim().split("=");
      if (k) t.counts[k] = Number(v);
    }
    const now = r.headers.get("X-Lumamock-Now");
    t.now = now ? Date.parse(now) : Date.now();
  }

  async function pollTaskDetail(id) {
    const enc = encodeURIComponent(id);
    const [task, cbs, reqs] = await Promise.all([
      api(scoped(`tasks/${enc}`)).then((r) => r.data, (e) => { if (e instanceof Unauthorized) throw e; return null; }),
      api(scoped(`callbacks?task_id=${enc}&before=${NEWEST}&limit=200`)),
      api(scoped(`requests?task_id=${enc}&before=${NEWEST}&limit=100`)),
    ]);
    st.taskDetail = { id, task, callbacks: cbs.data || [], requests: reqs.data || [] };
  }

  // ---- normalising the mock's and the proxy's records ----------------------------------------------------

  function violationsOf(rec) {
    if (rec.violations) return rec.violations.map((v) => ({ in: v.in, field: v.field, rule: v.rule, message: v.message }));
    return (rec.findings || []).map((f) => ({
      in: f.direction + (f.violation ? " " + f.violation.in : ""),
      field: (f.violation && f.violation.field) || f.pointer || "(whole " + f.direction + ")",
      rule: (f.violation && f.violation.rule) || f.kind,
      message: f.message,
    }));
  }

  function preferApplied(rec) {
    if (rec.prefer_applied) return rec.prefer_applied.join(", ");
    const h = rec.header || {};
    const p = h.Prefer || h.prefer;
    return p ? "asked: " + p.join(", ") : "";
  }

  // ---- rendering --------------------------------------------------------------------------------------------

  // reconcile makes tbody hold one row per item, in order, reusing rows whose item did not change, and keeps
  // the row the reader is looking at where it was on screen.
  function reconcile(scroller, tbody, items, keyOf, sigOf, build) {
    let anchor = null;
    let anchorTop = 0;
    if (scroller.scrollTop > 0) {
      for (const tr of tbody.rows) {
        if (tr.offsetTop + tr.offsetHeight > scroller.scrollTop) { anchor = tr; anchorTop = tr.offsetTop; break; }
      }
    }
    const old = new Map();
    for (const tr of tbody.rows) old.set(tr.dataset.key, tr);
    const rows = items.map((item) => {
      const key = String(keyOf(item));
      const sig = sigOf(item);
      const had = old.get(key);
      old.delete(key);
      if (had && had.dataset.sig === sig) return had;
      const tr = build(item);
      tr.dataset.key = key;
      tr.dataset.sig = sig;
      if (had) had.replaceWith(tr);
      return tr;
    });
    for (const tr of old.values()) tr.remove();
    rows.forEach((tr, i) => { if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null); });
    for (const tr of tbody.rows) tr.classList.toggle("selected", !!st.sel && tr.dataset.key === st.sel.key && tr.dataset.kind === st.sel.kind);
    if (anchor && anchor.isConnected) scroller.scrollTop += anchor.offsetTop - anchorTop;
  }

  // timeline returns the points of a task's life from its creation to its end, as it happened and as planned
  // from there, and where the bar ends. A task ended through the admin API ends at that moment: its bar keeps
  // the length of its plan, and the forced end fills what the plan had left.
  function timeline(task) {
    const created = Date.parse(task.created_at);
    const points = (task.history || []).map((h) => ({ state: h.state, at: Date.parse(h.at), forced: h.forced }));
    if (task.next) points.push({ state: task.next.state, at: Date.parse(task.next.at) });
    const lastState = points[points.length - 1];
    if (lastState && lastState.state === "processing") {
      points.push({ state: task.outcome, at: lastState.at + goDuration(task.processing) });
    } else if (lastState && lastState.state === "pending") {
      const proc = lastState.at + goDuration(task.pending);
      points.push({ state: "processing", at: proc }, { state: task.outcome, at: proc + goDuration(task.processing) });
    }
    const last = points[points.length - 1];
    const end = last.at;
    let barEnd = end;
    if (last.forced) barEnd = Math.max(end, created + goDuration(task.pending) + goDuration(task.processing));
    return { created, points, end, barEnd, forced: !!last.forced, span: Math.max(1, barEnd - created) };
  }

  function timelineBar(task, now) {
    const tl = timeline(task);
    const bar = el("div", { class: "bar" });
    const width = (from, to) => ((to - from) / tl.span) * 100 + "%";
    for (let i = 0; i < tl.points.length - 1; i++) {
      const p = tl.points[i];
      const next = tl.points[i + 1];
      const seg = el("div", { class: `seg ${p.state}` + (now >= p.at ? " past" : ""), title: `${p.state} ${human(next.at - p.at)}` });
      seg.style.width = width(p.at, next.at);
      bar.append(seg);
    }
    const endState = tl.points[tl.points.length - 1].state;
    if (tl.forced && tl.barEnd > tl.end) { // what the plan had left, cut short by the forced end
      const seg = el("div", { class: `seg ${endState} forced past`, title: `${endState}: forced through the admin API, ${human(tl.barEnd - tl.end)} before the plan's end` });
      seg.style.width = width(tl.end, tl.barEnd);
      bar.append(seg);
    }
    const ended = now >= tl.end;
    if (ended) {
      const seg = el("div", { class: `seg ${endState} past`, title: endState });
      seg.style.flex = "0 0 8px";
      bar.append(seg);
    } else {
      const marker = el("div", { class: "now", title: "now" });
      marker.style.left = `calc(${Math.min(1, Math.max(0, (now - tl.created) / tl.span)) * 100}% - 1px)`;
      bar.append(marker);
    }
    const forced = tl.forced ? " (forced)" : "";
    const text = ended ? `${endState}${forced} ${human(now - tl.end)} ago` : `${endState} in ${human(tl.end - now)}`;
    return { bar, text, ended };
  }

  function renderTasks() {
    const t = st.tasks;
    const now = t.now || Date.now();
    const tbody = $("tasks-table").tBodies[0];
    reconcile($("tasks-scroll"), tbody, t.rows, (x) => x.id,
      (x) => JSON.stringify([x.state, x.updated_at, x.next, x.history, x.queue_position]),
      (x) => {
        const tr = el("tr", { "data-kind": "task", onclick: () => select("task", x.id) },
          el("td", {}, badge(x.state), queueMark(x)),
          el("td", { class: "id", title: x.id }, short(x.id)),
          el("td", { class: "prompt", title: x.prompt }, cut(x.prompt, 80)),
          el("td", { class: "shape" }, x.shape + (x.resolution ? " · " + x.resolution : "")),
          el("td", { class: "mono", title: x.created_at }, clock(x.created_at).slice(0, 8)),
          el("td", { class: "tl-cell" }));
        return tr;
      });
    // The timelines move with the clock: they are redrawn in rows that stay, so a click on a row is never lost.
    t.rows.forEach((x, i) => {
      const cell = tbody.rows[i] && tbody.rows[i].querySelector(".tl-cell");
      if (!cell) return;
      const tl = timelineBar(x, now);
      cell.replaceChildren(el("div", { class: "tl" }, tl.bar, el("span", { class: "tl-text", text: tl.text })));
    });
    $("tasks-empty").hidden = t.rows.length > 0;
    $("tasks-empty").textContent = t.states || t.q ? "No task matches the filter." : "No tasks yet. POST /luma/generations creates one.";
    const all = ["pending", "processing", "completed", "failed"].reduce((n, s) => n + (t.counts[s] || 0), 0);
    for (const span of document.querySelectorAll("#state-filter [data-count]")) {
      span.textContent = span.dataset.count === "all" ? all : t.counts[span.dataset.count] || 0;
    }
    $("count-tasks").textContent = all;
    const shown = t.rows.length;
    $("task-range").textContent = shown ? `${shown} of ${t.total}${t.before !== NEWEST ? " (older page)" : ""}` : "";
    $("task-newest").disabled = $("task-newer").disabled = t.before === NEWEST;
    $("task-older").disabled = shown < TASK_PAGE;
  }

  // queueMark is a waiting task's place in its API key's queue (lumamock serve --capacity).
  function queueMark(t) {
    if (!t.queue_position) return null;
    return el("span", { class: "queue", title: "waiting for a processing slot (--capacity): place in its API key's queue", text: "#" + t.queue_position });
  }

  // answerMarks say what broke or refused a request's answer: a fault (Prefer fault, --fault-api) or the rate limit.
  function answerMarks(r) {
    const out = [];
    if (r.fault) out.push(el("span", { class: "fault", title: /^[0-9]+$/.test(r.fault) ? "status forced by --fault-api" : "the answer's connection was broken; the status is the one it would have had", text: r.fault }));
    if (r.rate_limited) out.push(el("span", { class: "fault", title: "over its API key's --rate-limit", text: "rate-limited" }));
    return out;
  }

  function callbackResult(c) {
    const parts = [];
    if (c.outcome) parts.push(el("span", { class: "muted" }, c.outcome + " "));
    if (c.forwarded !== undefined && !c.forwarded && !c.status) parts.push(el("span", { class: "muted" }, "not forwarded "));
    parts.push(statusSpan(c.status, c.error));
    if (c.error && !c.status) parts.push(el("span", { class: "serr", title: c.error }, " " + cut(c.error, 28)));
    return parts;
  }

  function callbackRow(c) {
    const faults = (c.faults || []).map((f) => el("span", { class: "fault", text: f }));
    return el("tr", { "data-kind": "callback", class: c.valid === false ? "refused" : "", onclick: () => select("callback", String(c.seq)) },
      timeCell(c.at),
      el("td", { class: "id", title: c.task_id || "" }, short(c.task_id)),
      el("td", {}, c.state ? badge(c.state) : c.valid === false ? el("span", { class: "viol", text: violationsOf(c).length + " findings" }) : ""),
      el("td", { class: "mono" }, c.attempt === undefined ? "—" : c.attempt === 0 ? "never" : c.attempt === 1 ? "1" : `${c.attempt} (retry ${c.attempt - 1})`),
      el("td", { class: "recv mono", title: c.url || c.hook || "" }, String(c.url || c.hook || "").replace(/^https?:\/\//, "")),
      el("td", { title: c.error || "" }, callbackResult(c)),
      el("td", { class: "mono" }, c.latency_ms !== undefined && c.attempt ? `${c.latency_ms.toFixed(1)}ms` : ""),
      el("td", {}, faults),
      el("td", {}, c.signed ? el("span", { class: "ok-mark", text: "✓", title: "signed: X-Lumamock-Signature sent" }) : el("span", { class: "muted", text: c.signed === false || c.attempt !== undefined ? "—" : "" })));
  }

  function requestRow(r) {
    const v = violationsOf(r);
    const verdict = r.valid
      ? el("span", { class: "ok-mark", text: "✓ valid" })
      : v.length
        ? [...v.slice(0, 3).map((x) => el("span", { class: "viol", title: x.message }, el("b", { text: x.field }), " " + x.rule)),
          v.length > 3 ? el("span", { class: "muted", text: `+${v.length - 3}` }) : null]
        : el("span", { class: "serr", text: "refused" });
    return el("tr", { "data-kind": "request", class: r.valid ? "" : "refused", onclick: () => select("request", String(r.seq)) },
      timeCell(r.at),
      el("td", { class: "mono" }, r.method),
      el("td", { class: "path mono", title: r.path + (r.query ? "?" + r.query : "") }, r.path + (r.query ? "?" + r.query : "")),
      el("td", {}, statusSpan(r.status, r.error), " ", answerMarks(r)),
      el("td", { class: "mono", title: preferApplied(r) }, cut(preferApplied(r), 28)),
      el("td", { class: "verdict" }, verdict));
  }

  // emptyText is what an empty journal's table says once the server has answered (the page says loading… until
  // then).
  const emptyText = {
    callbacks: "No callbacks yet. A task created with a notify_hook sends them.",
    requests: "No requests yet.",
  };

  function renderJournal(name, rowOf, filter) {
    const j = st.journals[name];
    let items = [...j.items.values()].sort((a, b) => b.seq - a.seq);
    if (filter) items = items.filter(filter);
    reconcile($(`${name}-scroll`), $(`${name}-table`).tBodies[0], items, (x) => x.seq, (x) => String(x.seq), rowOf);
    $(`${name}-empty`).hidden = items.length > 0;
    let empty = emptyText[name];
    if (filter && j.items.size) empty = "No callback matches the filter.";
    if (name === "requests" && j.filter) empty = "No refused request.";
    $(`${name}-empty`).textContent = empty;
    $(`${name}-more`).hidden = !(j.items.size && Math.min(...j.items.keys()) > j.first) || j.items.size >= MAX_WINDOW;
    $(`count-${name}`).textContent = j.kept || 0;
    $(`${name}-note`).textContent = j.kept > j.items.size ? `showing the newest ${j.items.size} of ${j.kept} kept` : "";
  }

  function render() {
    if (st.cfg.tasks) renderTasks();
    if (st.cfg.coverage) renderCoverage();
    const failing = $("callbacks-failing").checked;
    renderJournal("callbacks", callbackRow, failing ? (c) => c.outcome ? c.outcome !== "delivered" : c.valid === false || !c.forwarded || c.status >= 300 : null);
    renderJournal("requests", requestRow);
    const refused = [...st.journals.requests.items.values()].filter((r) => !r.valid).length;
    $("count-refused").hidden = refused === 0;
    $("count-refused").textContent = refused + " refused";
    renderSession();
    renderDetail();
  }

  // ---- coverage -------------------------------------------------------------------------------------------

  // ---- sessions --------------------------------------------------------------------------------------------

  // pollSessions reads the sessions for the picker; when the one shown is gone (deleted, evicted), it shows
  // default.
  async function pollSessions() {
    st.sessions = (await api("sessions")).data || [];
    if (st.session !== DEFAULT_SESSION && !st.sessions.some((s) => s.name === st.session)) {
      toast(`session ${st.session} is gone (deleted, or evicted by newer ones): showing ${DEFAULT_SESSION}`, true);
      chooseSession(DEFAULT_SESSION, false);
    }
    renderPicker();
  }

  function renderPicker() {
    const sel = $("session");
    const names = st.sessions.map((s) => s.name);
    if (!names.includes(DEFAULT_SESSION)) names.unshift(DEFAULT_SESSION); // default always exists, first
    if (!names.includes(st.session)) names.push(st.session);
    const sig = names.join("\n");
    if (sel.dataset.sig !== sig) {
      sel.replaceChildren(...names.map((n) => {
        const s = st.sessions.find((x) => x.name === n);
        return el("option", { value: n, title: s ? `${s.tasks} tasks · last used ${s.last_used}` : "" }, n);
      }));
      sel.dataset.sig = sig;
    }
    sel.value = st.session;
  }

  // chooseSession shows session name: its tasks, journals, settings and clock.
  function chooseSession(name, reload) {
    if (name === st.session) return;
    st.session = name;
    sessionStorage.setItem(SESSION_KEY, name);
    history.replaceState(null, "", "#session=" + encodeURIComponent(name));
    resetView();
    st.tasks.before = NEWEST;
    st.tasks.newer = [];
    st.tasks.rows = [];
    st.clock = null;
    st.coverage = null;
    st.settingsFor = null;
    $("settings-note").textContent = "";
    for (const j of Object.values(st.journals)) j.last = 0;
    if (reload) poll();
  }

  async function pollClock() {
    st.clock = (await api(scoped("clock"))).data;
  }

  // pollSettings fills the settings form when the session shown changes (not while the reader edits it).
  async function pollSettings() {
    if (st.settingsFor === st.session) return;
    const want = st.session;
    const edits = st.settingsEdits;
    const v = (await api(scoped("settings"))).data || {};
    if (want !== st.session) return;
    if (edits !== st.settingsEdits) {
      // The reader edited or saved while this read was under way: the form is theirs, not to be overwritten.
      st.settingsFor = want;
      return;
    }
    const f = $("settings-form");
    for (const [k, x] of Object.entries(v)) {
      const input = f.elements[k];
      if (!input) continue;
      if (input.type === "checkbox") input.checked = !!x;
      else if (Array.isArray(x)) input.value = x.join(",");
      else input.value = String(x);
      input.classList.remove("bad");
    }
    st.settingsFor = want;
  }

  function renderSession() {
    if (!st.cfg.sessions) return;
    $("session-name").textContent = st.session;
    const c = st.clock;
    $("clock-now").textContent = c ? c.now : "…";
    $("clock-state").textContent = c ? (c.frozen ? "frozen" : "running") : "";
    $("clock-freeze").textContent = c && c.frozen ? "Resume" : "Freeze";
  }

  async function moveClock(move) {
    try {
      st.clock = (await api(scoped("clock"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(move) })).data;
      renderSession();
      poll();
    } catch (e) {
      if (e instanceof Unauthorized) refused(e);
      toast("clock: " + e.message, true);
    }
  }

  async function saveSettings(e) {
    e.preventDefault();
    st.settingsEdits++;
    const f = $("settings-form");
    const v = {};
    for (const input of f.elements) {
      if (!input.name) continue;
      input.classList.remove("bad");
      if (input.type === "checkbox") v[input.name] = input.checked;
      else if (input.type === "number") v[input.name] = Number(input.value);
      else if (input.dataset.list !== undefined) v[input.name] = input.value.split(",").map((x) => x.trim()).filter(Boolean);
      else v[input.name] = input.value.trim();
    }
    try {
      await api(scoped("settings"), { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(v) });
      st.settingsFor = null; // read them back
      $("settings-note").textContent = "saved";
      poll();
    } catch (err) {
      if (err instanceof Unauthorized) refused(err);
      const m = /^body field \/(\w+)/.exec(err.message);
      if (m && f.elements[m[1]]) f.elements[m[1]].classList.add("bad");
      $("settings-note").textContent = "";
      st.settingsFor = st.session; // the refused form stays as the reader left it
      toast("settings: " + err.message, true);
    }
  }

  async function pollCoverage() {
    st.coverage = (await api(scoped("coverage"))).data;
  }

  function findingKey(f) {
    return [f.kind, f.client, f.task_id || f.receiver || (f.evidence[0] ? f.evidence[0].journal + "#" + f.evidence[0].seq : "")].join(" ");
  }

  function refText(r) { return `${r.journal}#${r.seq}`; }

  // refLink opens the journal record a coverage item or finding points at.
  function refLink(r) {
    return el("a", { href: "#", class: "mono", title: r.at || "", onclick: (e) => { e.preventDefault(); openRecord(r); } }, refText(r));
  }

  // openRecord shows a journal record in the detail pane, reading it from the server when the page holds it no
  // more.
  async function openRecord(r) {
    const name = r.journal === "callbacks" ? "callbacks" : "requests";
    const j = st.journals[name];
    if (!j.items.has(r.seq)) {
      try {
        for (const rec of (await api(scoped(`${name}?since=${r.seq - 1}&limit=1`))).data || []) j.items.set(rec.seq, rec);
      } catch (e) {
        toast(e.message, true);
      }
    }
    select(name === "callbacks" ? "callback" : "request", String(r.seq));
  }

  function covChip(it) {
    const cls = "cov " + (it.ignored ? "ignored" : it.covered ? "yes" : "no") + (st.sel && st.sel.kind === "item" && st.sel.key === it.name ? " selected" : "");
    const title = it.ignored ? `${it.name}: ignored` : it.covered ? `${it.name}: ${it.count}× since ${refText(it.first)}` : `${it.name}: never covered; ${it.hint}`;
    return el("button", { type: "button", class: cls, "data-item": it.name, title, onclick: () => select("item", it.name) }, it.value || it.kind);
  }

  function renderCoverage() {
    const c = st.coverage;
    if (!c) return;
    const n = Object.entries(c.finding_totals || {}).filter(([k]) => !(c.ignored || []).includes(k)).reduce((s, [, v]) => s + v, 0);
    $("count-coverage").textContent = c.percent + "%";
    $("count-findings").hidden = n === 0;
    $("count-findings").textContent = n + (n === 1 ? " finding" : " findings");
    $("coverage-summary").textContent = `${c.covered} of ${c.total} items covered (${c.percent}%), ${c.missing.length} never`;
    $("coverage-meter").style.width = c.percent + "%";
    const t = c.thresholds || {};
    $("coverage-thresholds").textContent = `poll-min-interval ${t.poll_min_interval}, poll-after-end ${t.poll_after_end}, resubmit-window ${t.resubmit_window}`;
    const missing = $("coverage-missing").checked;
    const groups = [];
    for (const it of c.items) {
      if (missing && (it.covered || it.ignored)) continue;
      const key = `${it.operation || ""} ${it.kind}`;
      let g = groups[groups.length - 1];
      if (!g || g.key !== key) groups.push(g = { key, operation: it.operation || "", kind: it.kind, items: [] });
      g.items.push(it);
    }
    const sel = st.sel && st.sel.kind === "item" ? st.sel.key : "";
    reconcile($("coverage-scroll"), $("coverage-matrix").tBodies[0], groups, (g) => g.key,
      (g) => JSON.stringify([sel, g.items.map((i) => [i.name, i.covered, i.count, i.ignored])]),
      (g) => el("tr", { "data-kind": "group" }, el("td", { class: "mono" }, g.operation), el("td", {}, g.kind), el("td", { class: "cells" }, g.items.map(covChip))));
    reconcile($("coverage-scroll"), $("findings-table").tBodies[0], c.findings, findingKey, (f) => JSON.stringify([f.count, f.message]),
      (f) => el("tr", { "data-kind": "finding", onclick: () => select("finding", findingKey(f)) },
        el("td", {}, el("span", { class: "finding", text: f.kind })),
        el("td", { class: "mono" }, f.client),
        el("td", { class: "message" }, f.message),
        el("td", { class: "mono" }, String(f.count))));
    $("findings-empty").hidden = c.findings.length > 0 || n > 0;
  }

  function coverageItemDetail(pane, it) {
    pane.append(el("h2", {}, el("span", { class: "cov " + (it.ignored ? "ignored" : it.covered ? "yes" : "no"), text: it.ignored ? "ignored" : it.covered ? "covered" : "never covered" }),
      el("span", { class: "mono", text: it.name })));
    pane.append(dl([["What", it.description], ["Kind", it.kind], ["Operation", it.operation], ["Count", String(it.count)],
      ["First", it.first ? refLink(it.first) : ""], ["How to cover it", it.hint]]));
  }

  function findingDetail(pane, f) {
    pane.append(el("h2", {}, el("span", { class: "finding", text: f.kind }), el("span", { class: "mono", text: f.client })));
    pane.append(el("p", { text: f.message }));
    pane.append(dl([["Client", f.client + " (a label of its API key)"],
      ["Task", f.task_id ? el("a", { href: "#", class: "id", onclick: (e) => { e.preventDefault(); openTask(f.task_id); } }, f.task_id) : ""],
      ["Receiver", f.receiver], ["Count", String(f.count)]]));
    pane.append(el("h3", { text: "What shows it" }),
      el("ul", { class: "evidence" }, f.evidence.map((r) => el("li", {}, refLink(r), " ", el("span", { class: "muted mono" }, clock(r.at))))));
    if (f.count > f.evidence.length) pane.append(el("p", { class: "muted", text: `(the first ${f.evidence.length} records of ${f.count} occurrences)` }));
    pane.append(el("h3", { text: "What a well-behaved client does" }), el("p", { text: f.advice }));
  }

  // ---- the detail pane ------------------------------------------------------------------------------------

  function select(kind, key) {
    st.sel = { kind, key };
    st.detailSig = "";
    if (kind === "task") {
      st.taskDetail = null;
      pollTaskDetail(key).then(render, (e) => toast(e.message, true));
    }
    render();
  }

  function findSelected() {
    const s = st.sel;
    if (!s) return null;
    if (s.kind === "item") return (st.coverage && st.coverage.items.find((i) => i.name === s.key)) || null;
    if (s.kind === "finding") return (st.coverage && st.coverage.findings.find((f) => findingKey(f) === s.key)) || null;
    if (s.kind === "task") {
      const d = st.taskDetail && st.taskDetail.id === s.key ? st.taskDetail : null;
      const row = st.tasks.rows.find((x) => x.id === s.key);
      return { task: (d && d.task) || row, detail: d };
    }
    const j = st.journals[s.kind === "callback" ? "callbacks" : "requests"];
    const own = j.items.get(Number(s.key));
    if (own) return own;
    if (st.taskDetail) { // a record opened from a task's detail
      const list = s.kind === "callback" ? st.taskDetail.callbacks : st.taskDetail.requests;
      return list.find((x) => String(x.seq) === s.key) || null;
    }
    return null;
  }

  function renderDetail() {
    const pane = $("detail");
    const item = findSelected();
    const now = st.tasks.now || Date.now();
    const sig = JSON.stringify([st.sel, item]);
    if (sig === st.detailSig) {
      const box = $("detail-timeline");
      if (box && item && item.task) box.replaceChildren(...timelineParts(item.task, now));
      return;
    }
    st.detailSig = sig;
    const keepScroll = pane.scrollTop;
    pane.replaceChildren();
    if (!st.sel) { pane.append(el("p", { class: "empty", text: "Select a row to see everything about it." })); return; }
    if (!item || (st.sel.kind === "task" && !item.task)) {
      pane.append(el("p", { class: "empty", text: "That record is no longer kept (reset, or evicted)." }));
      return;
    }
    if (st.sel.kind === "item") coverageItemDetail(pane, item);
    else if (st.sel.kind === "finding") findingDetail(pane, item);
    else if (st.sel.kind === "task") taskDetail(pane, item.task, item.detail, now);
    else if (st.sel.kind === "callback") callbackDetail(pane, item);
    else requestDetail(pane, item);
    pane.scrollTop = keepScroll;
  }

  function dl(pairs) {
    return el("dl", {}, pairs.filter((p) => p && p[1] !== undefined && p[1] !== "" && p[1] !== null)
      .map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
  }

  async function endTask(id, action) {
    try {
      await api(scoped(`tasks/${encodeURIComponent(id)}/${action}`), { method: "POST" });
      toast(`Task ${short(id)}: ${action === "complete" ? "completed" : "failed"}`);
      await pollTaskDetail(id).catch(() => {});
      poll();
    } catch (e) {
      if (e instanceof Unauthorized) refused(e);
      toast(`${action}: ${e.message}`, true);
    }
  }

  function taskDetail(pane, t, d, now) {
    const terminal = t.state === "completed" || t.state === "failed";
    pane.append(
      el("h2", {}, badge(t.state), el("span", { class: "id", text: t.id })),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "ok", id: "task-complete", disabled: terminal, onclick: () => endTask(t.id, "complete") }, "Complete now"),
        el("button", { type: "button", class: "danger", id: "task-fail", disabled: terminal, onclick: () => endTask(t.id, "fail") }, "Fail now")),
      el("div", { id: "detail-timeline" }, timelineParts(t, now)),
      dl([["Prompt", t.prompt], ["Shape", t.shape], ["Resolution", t.resolution], ["Notify hook", t.notify_hook],
        ["Created", t.created_at], ["Plan", `pending ${t.pending}, processing ${t.processing}, then ${t.outcome}`],
        ["Queue", t.queue_position ? `#${t.queue_position}: waiting for a processing slot (--capacity)` : ""],
        ["Faults", faultsText(t.faults)]]),
      el("h3", { text: "History" }),
      el("ul", { class: "history" }, (t.history || []).map((h) => el("li", {}, badge(h.state), " ", el("span", { class: "mono", title: h.at }, clock(h.at)), h.forced ? el("span", { class: "muted", text: " (forced through the admin API)" }) : "")),
        t.next ? el("li", { class: "muted" }, "next: ", badge(t.next.state), " ", el("span", { class: "mono" }, clock(t.next.at))) : null));
    if (t.result) {
      pane.append(el("h3", { text: t.result.failure_reason ? "Failure" : "Assets" }));
      if (t.result.failure_reason) pane.append(el("p", { text: t.result.failure_reason }));
      const links = [["video", t.result.video], ["video (raw)", t.result.video_raw], ["thumbnail", t.result.thumbnail], ["last frame", t.result.last_frame]]
        .filter((x) => x[1]);
      if (links.length) pane.append(dl(links.map(([k, u]) => [k, safeLink(u, String(u).split("?")[0].split("/").pop())])));
    }
    pane.append(el("h3", { text: `Callbacks (${d ? d.callbacks.length : "…"})` }));
    if (d && d.callbacks.length) {
      pane.append(el("table", { class: "grid mini", id: "task-callbacks" },
        el("thead", {}, el("tr", {}, ["Time", "Event", "Try", "Result", "Faults"].map((h) => el("th", { text: h })))),
        el("tbody", {}, d.callbacks.slice().reverse().map((c) => el("tr", { onclick: () => select("callback", String(c.seq)), title: c.error || "" },
          timeCell(c.at), el("td", {}, c.state ? badge(c.state) : ""), el("td", { class: "mono", text: c.attempt }),
          el("td", {}, callbackResult(c)),
          el("td", {}, (c.faults || []).map((f) => el("span", { class: "fault", text: f }))))))));
    } else if (d) pane.append(el("p", { class: "muted", text: t.notify_hook ? "None yet." : "None: the task has no notify_hook." }));
    pane.append(el("h3", { text: `Requests (${d ? d.requests.length : "…"})` }));
    if (d && d.requests.length) {
      pane.append(el("table", { class: "grid mini" },
        el("tbody", {}, d.requests.slice().reverse().map((r) => el("tr", { class: r.valid ? "" : "refused", onclick: () => select("request", String(r.seq)) },
          timeCell(r.at), el("td", { class: "mono", text: r.method }), el("td", {}, statusSpan(r.status), " ", answerMarks(r)), el("td", { class: "mono", text: preferApplied(r) }))))));
    }
  }

  function timelineParts(t, now) {
    const tl = timelineBar(t, now);
    return [tl.bar, el("p", { class: "muted", text: tl.text })];
  }

  function faultsText(f) {
    if (!f) return "";
    const out = [];
    if (f.duplicate) out.push(`duplicate ×${f.duplicate}`);
    if (f.drop) out.push(`drop ${f.drop}`);
    if (f.reorder) out.push("reorder");
    if (f.late) out.push(`late ${f.late}`);
    return out.join(", ");
  }

  function violationList(v) {
    return el("ul", { class: "violations", id: "violations" }, v.map((x) => el("li", {},
      el("div", {}, el("span", { class: "field", text: x.field || "(no field)" }), el("span", { class: "rule", text: x.rule || "" }),
        x.in ? el("span", { class: "muted", text: " in " + x.in }) : ""),
      el("div", { text: x.message || "" }))));
  }

  function callbackDetail(pane, c) {
    pane.append(el("h2", {}, c.state ? badge(c.state) : "", "Callback ", el("span", { class: "mono muted", text: "#" + c.seq })));
    pane.append(dl([
      ["Task", c.task_id ? el("a", { href: "#", class: "id", onclick: (e) => { e.preventDefault(); openTask(c.task_id); } }, c.task_id) : ""],
      ["Time", c.at], ["Receiver", c.url || c.hook], ["Event", c.event],
      ["Attempt", c.attempt === undefined ? "" : c.attempt === 0 ? "never sent" : `${c.attempt}${c.attempt > 1 ? ` (retry ${c.attempt - 1})` : ""}`],
      ["Outcome", c.outcome || (c.forwarded ? "forwarded" : c.forwarded === false ? "not forwarded" : "")],
      ["Status", c.status ? String(c.status) : ""], ["Error", c.error],
      ["Latency", c.latency_ms !== undefined ? `${c.latency_ms.toFixed(1)} ms` : ""],
      ["Faults", (c.faults || []).join(", ")],
      ["Signature", c.signed ? "X-Lumamock-Signature sent" : c.attempt !== undefined ? "none (no --callback-secret)" : ""],
      ["Receiver said", c.response]]));
    const v = violationsOf(c);
    if (v.length) { pane.append(el("h3", { text: "Findings" }), violationList(v)); }
    pane.append(el("h3", { text: "Body" + (c.body_truncated ? ` (cut: ${c.body_bytes} bytes sent)` : "") }),
      el("pre", { class: "body", id: "body-viewer", text: pretty(c.body) || "(empty)" }));
  }

  function requestDetail(pane, r) {
    const v = violationsOf(r);
    pane.append(el("h2", {}, statusSpan(r.status, r.error), el("span", { class: "mono", text: `${r.method} ${r.path}` })));
    pane.append(dl([
      ["Time", r.at], ["Verdict", r.valid ? "valid" : `refused: ${v.length} violation${v.length === 1 ? "" : "s"}`],
      ["Task", r.task_id ? el("a", { href: "#", class: "id", onclick: (e) => { e.preventDefault(); openTask(r.task_id); } }, r.task_id) : ""],
      ["Query", r.query], ["Request id", r.request_id], ["Prefer applied", preferApplied(r)],
      ["Fault", r.fault ? (/^[0-9]+$/.test(r.fault) ? `status ${r.fault} forced by --fault-api` : `${r.fault}: the answer's connection was broken (the status is the one it would have had)`) : ""],
      ["Rate limited", r.rate_limited ? "yes: over its API key's --rate-limit" : ""],
      ["Delay", r.delay_ms ? `${r.delay_ms} ms` : ""],
      ["Answered by", r.source], ["Upstream", r.upstream_status ? String(r.upstream_status) : ""], ["Outcome", r.outcome],
      ["Error", r.error], ["Duration", r.duration_ms !== undefined ? `${r.duration_ms.toFixed(1)} ms` : ""],
      ["Cassette", r.cassette]]));
    if (v.length) pane.append(el("h3", { text: "Violations" }), violationList(v));
    pane.append(el("h3", { text: "Headers (credentials redacted)" }),
      el("pre", { class: "body", text: Object.entries(r.header || {}).map(([k, vs]) => `${k}: ${vs.join(", ")}`).join("\n") }));
    pane.append(el("h3", { text: "Body" + (r.body_truncated ? " (cut)" : "") }),
      el("pre", { class: "body", id: "body-viewer", text: pretty(r.body) || "(empty)" }));
  }

  function openTask(id) {
    if (!st.cfg.tasks) return;
    showTab("tasks");
    select("task", id);
  }

  // ---- controls ---------------------------------------------------------------------------------------------

  function showTab(name) {
    st.tab = name;
    for (const b of document.querySelectorAll(".tab")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== name;
  }

  function resetView() {
    for (const j of Object.values(st.journals)) { j.items.clear(); j.loaded = false; j.extra = 0; }
    st.sel = null;
    st.taskDetail = null;
  }

  function wire() {
    for (const b of document.querySelectorAll(".tab")) b.addEventListener("click", () => showTab(b.dataset.tab));
    for (const b of document.querySelectorAll("#state-filter .chip")) {
      b.addEventListener("click", () => {
        for (const o of document.querySelectorAll("#state-filter .chip")) o.classList.toggle("on", o === b);
        st.tasks.states = b.dataset.state;
        st.tasks.before = NEWEST;
        st.tasks.newer = [];
        poll();
      });
    }
    let searchTimer = 0;
    $("task-search").addEventListener("input", (e) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        st.tasks.q = e.target.value.trim();
        st.tasks.before = NEWEST;
        st.tasks.newer = [];
        poll();
      }, 200);
    });
    $("task-older").addEventListener("click", () => {
      const rows = st.tasks.rows;
      if (!rows.length) return;
      st.tasks.newer.push(st.tasks.before);
      st.tasks.before = String(rows[rows.length - 1].seq);
      $("tasks-scroll").scrollTop = 0;
      poll();
    });
    $("task-newer").addEventListener("click", () => {
      st.tasks.before = st.tasks.newer.pop() || NEWEST;
      $("tasks-scroll").scrollTop = 0;
      poll();
    });
    $("task-newest").addEventListener("click", () => {
      st.tasks.before = NEWEST;
      st.tasks.newer = [];
      $("tasks-scroll").scrollTop = 0;
      poll();
    });
    $("requests-refused").addEventListener("change", (e) => {
      const j = st.journals.requests;
      j.filter = e.target.checked ? "refused" : "";
      j.items.clear(); j.loaded = false; j.last = 0; j.extra = 0;
      poll();
    });
    $("callbacks-failing").addEventListener("change", render);
    $("callbacks-more").addEventListener("click", () => loadOlder("callbacks").catch((e) => toast(e.message, true)));
    $("requests-more").addEventListener("click", () => loadOlder("requests").catch((e) => toast(e.message, true)));
    $("pause").addEventListener("click", () => {
      st.paused = !st.paused;
      $("pause").textContent = st.paused ? "Resume" : "Pause";
      setLive("on", "live");
      if (!st.paused) poll();
    });
    let armed = 0;
    $("reset").addEventListener("click", async () => {
      const b = $("reset");
      if (!armed) {
        b.classList.add("armed");
        b.textContent = "Really reset?";
        armed = setTimeout(() => { armed = 0; b.classList.remove("armed"); b.textContent = "Reset"; }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = 0;
      b.classList.remove("armed");
      b.textContent = "Reset";
      try {
        await api(scoped("reset"), { method: "POST" });
        resetView();
        toast("Reset: tasks and journals forgotten");
        poll();
      } catch (e) {
        if (e instanceof Unauthorized) refused(e);
        toast("reset: " + e.message, true);
      }
    });
    $("coverage-missing").addEventListener("change", render);
    $("coverage-reset").addEventListener("click", async () => {
      try {
        await api(scoped("coverage/reset"), { method: "POST" });
        toast("Coverage forgotten");
        poll();
      } catch (e) {
        if (e instanceof Unauthorized) refused(e);
        toast("reset coverage: " + e.message, true);
      }
    });
    $("session").addEventListener("change", (e) => chooseSession(e.target.value, true));
    $("clock-advance").addEventListener("click", () => moveClock({ advance: $("advance-by").value.trim() }));
    $("advance-by").addEventListener("keydown", (e) => { if (e.key === "Enter") $("clock-advance").click(); });
    $("clock-freeze").addEventListener("click", () => moveClock({ freeze: !(st.clock && st.clock.frozen) }));
    $("settings-form").addEventListener("submit", saveSettings);
    $("settings-form").addEventListener("input", () => {
      // The form is the reader's now: no read-back overwrites it until they save.
      st.settingsEdits++;
      if (st.settingsFor === null) st.settingsFor = st.session;
      $("settings-note").textContent = "";
    });
    $("token-button").addEventListener("click", askToken);
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const v = $("token-input").value.trim();
      if (v) sessionStorage.setItem(TOKEN_KEY, v);
      $("token-dialog").close();
      resetView();
      poll();
    });
  }

  async function start() {
    wire();
    try {
      const r = await fetch("ui/config.json", { cache: "no-store" });
      if (r.ok) st.cfg = Object.assign(st.cfg, await r.json());
    } catch (e) { /* the defaults: a mock */ }
    $("server-kind").textContent = st.cfg.server + (st.cfg.version ? " " + st.cfg.version : "");
    document.title = `lumamock ${st.cfg.server} · dashboard`;
    $("token-button").hidden = !st.cfg.token;
    if (!st.cfg.tasks) {
      $("tab-tasks").hidden = true;
      $("panel-tasks").hidden = true;
      showTab("requests");
    }
    $("tab-coverage").hidden = !st.cfg.coverage;
    if (st.cfg.sessions) {
      $("session-picker").hidden = false;
      $("tab-session").hidden = false;
      const m = /^#session=(.+)$/.exec(location.hash);
      st.session = (m && decodeURIComponent(m[1])) || sessionStorage.getItem(SESSION_KEY) || DEFAULT_SESSION;
      renderPicker();
    }
    if (st.cfg.token && !sessionStorage.getItem(TOKEN_KEY)) askToken();
    poll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
