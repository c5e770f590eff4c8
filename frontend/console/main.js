// The staff console's scripts: htmx (partials), Alpine.js (local state), SortableJS (drag to assign),
// live updates over the existing Channels board/order sockets (with a polling fallback), SLA countdowns.
import htmx from "htmx.org";
import Alpine from "alpinejs";
import Sortable from "sortablejs";
import "./console.css";

window.htmx = htmx;
// Domain errors (403/404/409/422) come back as a translated message fragment: swap it (into #flash, the
// server says where) instead of dropping it.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "[45]..", swap: true, error: true },
];
window.Alpine = Alpine;
window.Sortable = Sortable;

const csrf = () => document.querySelector("meta[name=csrf-token]")?.content || "";
document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRFToken"] = csrf(); });

// --- SLA countdowns: every [data-deadline] element shows the time left and the rung it has crossed ---
function rungOf(el, now) {
  const deadline = Date.parse(el.dataset.deadline || "");
  if (!deadline) return "none";
  if (now >= deadline) return "breached";
  const urgent = Date.parse(el.dataset.urgent || ""), warn = Date.parse(el.dataset.warn || "");
  if (urgent && now >= urgent) return "urgent";
  if (warn && now >= warn) return "warning";
  return "ok";
}
function fmt(ms) {
  const neg = ms < 0; let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600; const m = Math.floor(s / 60); s -= m * 60;
  const text = d ? `${d}d ${h}h` : h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
  return (neg ? "-" : "") + text;
}
function tick() {
  const now = Date.now();
  document.querySelectorAll("[data-deadline]").forEach((el) => {
    if (el.dataset.paused === "1") return;
    const rung = rungOf(el, now);
    el.dataset.rung = rung;
    const row = el.closest("[data-row]");
    if (row) row.dataset.rung = rung;
    const out = el.querySelector(".left");
    if (out && el.dataset.deadline) out.textContent = fmt(Date.parse(el.dataset.deadline) - now);
  });
}
setInterval(tick, 1000);
document.addEventListener("DOMContentLoaded", tick);
document.addEventListener("htmx:afterSettle", tick);

// --- live updates: the board/order sockets; polling /console/changes when no socket opens ---------------
window.anxinLive = function anxinLive({ paths, seq, onChange }) {
  let last = Number(seq || 0), sockets = 0, polling = null;
  const seen = (msg) => { if (msg.seq && msg.seq > last) last = msg.seq; onChange(msg); };
  const poll = () => {
    if (polling) return;
    polling = setInterval(async () => {
      const r = await fetch(`/console/changes?since=${last}`, { credentials: "same-origin" });
      if (!r.ok) return;
      const body = await r.json();
      const ids = new Set();
      body.changes.forEach((c) => ids.add(c.order_id));
      last = Math.max(last, body.seq);
      ids.forEach((id) => onChange({ order_id: id, type: "order.changed" }));
    }, 2000);
  };
  const proto = location.protocol === "https:" ? "wss" : "ws";
  paths.forEach((path) => {
    let ws;
    try { ws = new WebSocket(`${proto}://${location.host}${path}`); } catch (e) { poll(); return; }
    ws.onopen = () => { sockets += 1; document.body.dataset.live = "ws"; };
    ws.onmessage = (e) => { const msg = JSON.parse(e.data); if (msg.type === "order.changed") seen(msg); else if (msg.type === "technician.moved") onChange(msg); };
    ws.onclose = () => { sockets -= 1; if (sockets <= 0) { document.body.dataset.live = "poll"; poll(); } };
    ws.onerror = () => poll();
  });
  if (!paths.length) poll();
};

// --- the queue: rows inserted, moved or recoloured live; j/k/Enter and / --------------------------------
window.anxinQueue = function anxinQueue({ paths, seq }) {
  const body = () => document.getElementById("queue-rows");
  let fresh = 0;
  const baseTitle = document.title;
  const bump = () => { fresh += 1; document.title = `(${fresh}) ${baseTitle}`; };
  window.addEventListener("focus", () => { fresh = 0; document.title = baseTitle; });
  window.anxinLive({ paths, seq, onChange: async (msg) => {
    // The filters as they are now (htmx pushes each filter change into the address).
    const query = new URLSearchParams(location.search);
    query.delete("cursor");
    const r = await fetch(`/console/queue/rows/${msg.order_id}?${query}`, { credentials: "same-origin", headers: { "HX-Request": "true" } });
    const old = document.getElementById(`row-${msg.order_id}`);
    if (r.status === 204) { if (old) old.remove(); return; }
    if (!r.ok) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = (await r.text()).trim();
    const row = tpl.content.firstElementChild;
    if (!old) bump();
    if (old) old.remove();
    // Keep the urgency order: before the first row that is due later.
    const due = row.dataset.urgency || "9999";
    const next = [...body().querySelectorAll("tr[data-row]")].find((tr) => (tr.dataset.urgency || "9999") > due);
    body().insertBefore(row, next || null);
    row.classList.add("flash");
    const count = document.getElementById("queue-total");
    if (count && !old) count.textContent = String(Number(count.textContent || 0) + 1);
    htmx.process(row); tick();
  } });
  let current = -1;
  const rows = () => [...body().querySelectorAll("tr[data-row]")];
  const select = (i) => {
    const list = rows(); if (!list.length) return;
    current = Math.max(0, Math.min(list.length - 1, i));
    list.forEach((tr, k) => tr.classList.toggle("selected", k === current));
    list[current].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (e) => {
    if (["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) { if (e.key === "Escape") e.target.blur(); return; }
    if (e.key === "j") { select(current + 1); e.preventDefault(); }
    else if (e.key === "k") { select(current - 1); e.preventDefault(); }
    else if (e.key === "Enter" && current >= 0) { location.href = rows()[current].dataset.href; }
    else if (e.key === "/") { document.getElementById("q")?.focus(); e.preventDefault(); }
  });
};

// --- the dispatch board: drag a card onto a technician; the engine's eligible lanes are lit ------------
window.anxinBoard = function anxinBoard({ paths, seq }) {
  const reload = () => htmx.ajax("GET", location.pathname + location.search, { target: "#board-lanes", swap: "outerHTML" });
  window.anxinLive({ paths, seq, onChange: (msg) => {
    // A position alone moves the technician's point on the map; an order's change redraws the lanes.
    if (msg.type === "technician.moved") { window.anxinMoveTechnician?.(msg); return; }
    if (!document.body.classList.contains("dragging")) reload();
  } });
  const setup = () => {
    document.querySelectorAll("[data-lane]").forEach((lane) => {
      if (lane._sortable) return;
      lane._sortable = Sortable.create(lane, {
        group: "board", sort: false, animation: 120, draggable: ".card", forceFallback: true, fallbackOnBody: true,
        onStart: async (evt) => {
          document.body.classList.add("dragging");
          const r = await fetch(`/console/board/explain/${evt.item.dataset.order}`, { credentials: "same-origin" });
          if (!r.ok) return;
          const info = await r.json();
          evt.item._explain = info;
          document.querySelectorAll("[data-lane][data-technician]").forEach((l) => {
            const ok = info.eligible.includes(l.dataset.technician);
            l.closest(".lane").classList.toggle("eligible", ok);
            l.closest(".lane").classList.toggle("ineligible", !ok);
            const c = (info.explanation.candidates || []).find((x) => String(x.candidate_id) === l.dataset.technician);
            const why = l.closest(".lane").querySelector(".why");
            if (why) why.textContent = c ? (c.eligible ? `#${c.rank} ${c.detail || ""}` : (c.exclusions || []).map((x) => x.text).join("; ")) : "";
          });
        },
        onEnd: async (evt) => {
          document.body.classList.remove("dragging");
          document.querySelectorAll(".lane").forEach((l) => l.classList.remove("eligible", "ineligible"));
          const to = evt.to.dataset.technician;
          if (!to || evt.from === evt.to) return;
          const info = evt.item._explain || { eligible: [] };
          const dialog = document.getElementById("assign-dialog");
          dialog.querySelector("[name=technician_id]").value = to;
          dialog.querySelector("[name=revision]").value = evt.item.dataset.revision;
          dialog.querySelector("form").setAttribute("hx-post", `/console/orders/${evt.item.dataset.order}/assign`);
          htmx.process(dialog.querySelector("form"));
          dialog.querySelector(".explain").textContent = (info.explanation && info.explanation.summary) || "";
          const override = !info.eligible.includes(to) || (info.eligible[0] && info.eligible[0] !== to);
          dialog.querySelector(".override").hidden = !override;
          dialog.querySelector("[name=reason]").value = override ? "" : dialog.dataset.defaultReason;
          dialog.showModal();
          dialog.querySelector("[name=reason]").focus();
        },
      });
    });
  };
  setup();
  document.addEventListener("htmx:afterSettle", setup);
  document.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail.elt.id === "assign-form") { document.getElementById("assign-dialog").close(); if (e.detail.successful) reload(); }
  });
  document.getElementById("assign-dialog")?.addEventListener("close", () => { if (!document.body.classList.contains("dragging")) reload(); });
};

// --- the CRM's grab pool: offers arrive over the consultant's grab sockets (one per project on duty); the rows
// are re-read from the server on each message; a slow poll only while no socket is open ---------------------
window.anxinGrabs = function anxinGrabs({ paths, rowsUrl, me }) {
  const box = document.getElementById("grabs"), note = document.getElementById("grab-note");
  const SLOW_POLL_MS = 10000;
  let open = 0, polling = null;
  const reload = () => htmx.ajax("GET", rowsUrl, { target: "#grabs", swap: "innerHTML" });
  const tell = (text) => { if (!note || !text) return; note.textContent = text; note.hidden = false; };
  const drop = (id, why) => {
    const card = box.querySelector(`[data-grab="${id}"]`);
    if (!card) return;
    card.remove();
    tell(why);
    if (!box.querySelector("[data-grab]")) reload();  // the empty-pool message
  };
  const poll = () => { if (!polling) polling = setInterval(reload, SLOW_POLL_MS); };
  const unpoll = () => { if (polling) { clearInterval(polling); polling = null; } };
  const connect = (path, attempt) => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    let ws, opened = false;
    try { ws = new WebSocket(`${proto}://${location.host}${path}`); } catch (e) { poll(); return; }
    ws.onopen = () => { opened = true; open += 1; document.body.dataset.live = "ws"; unpoll(); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "hello") { box.dataset.live = "ws"; reload(); }  // anything offered while we were away
      else if (msg.type === "offer.created") reload();
      else if (msg.type === "offer.taken") drop(msg.customer_id, msg.by === me ? "" : note?.dataset.taken);
      else if (msg.type === "offer.expired") drop(msg.customer_id, note?.dataset.expired);
    };
    ws.onclose = () => {
      if (opened) open -= 1;
      if (open <= 0) { document.body.dataset.live = "poll"; box.dataset.live = "poll"; poll(); }
      const wait = Math.min(30000, 2000 * 2 ** Math.min(attempt, 4));
      setTimeout(() => connect(path, opened ? 0 : attempt + 1), wait);  // reconnect, backing off
    };
  };
  paths.forEach((path) => connect(path, 0));
  if (!paths.length) poll();
  // A countdown that ran out leaves the page at once (the sweep's offer.expired follows).
  setInterval(() => {
    box.querySelectorAll("[data-grab] [data-deadline]").forEach((el) => {
      if (Date.parse(el.dataset.deadline) <= Date.now()) drop(el.closest("[data-grab]").dataset.grab, "");
    });
  }, 500);
};

Alpine.start();
