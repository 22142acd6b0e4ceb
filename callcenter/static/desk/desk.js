/* The agent desk console (docs/desk.md): queue, conversation with per-turn trace, take/reply/release/close,
   and for supervisors live sessions and a dashboard. Plain browser JavaScript, no build step, no network
   beyond the server it was loaded from. Everything the server sends is rendered as text, never as HTML. */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="desk.js"]');
  var origin = new URL((script && script.src) || "/desk/desk.js", location.href).origin;
  var wsUrl = (script && script.getAttribute("data-server")) || origin.replace(/^http/, "ws") + "/v1/desk";
  var root = document.getElementById("cc-desk") || document.body.appendChild(document.createElement("div"));
  var BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
  var PRIORITY_LABEL = { urgent: "Urgent", high: "High", normal: "Normal", low: "Low" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "class") node.className = v;
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function svgEl(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = String(attrs[k]); else node.setAttribute(k, String(attrs[k]));
    });
    return node;
  }
  function fmtWait(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  }
  function money(v) { return "$" + Number(v || 0).toFixed(Number(v) < 0.01 ? 5 : 4); }
  function pct(v) { return (100 * Number(v || 0)).toFixed(1) + "%"; }

  // --- state -------------------------------------------------------------------------------
  var token = null;
  var operator = null;
  var ws = null;
  var attempts = 0;
  var queue = [];
  var queueAt = 0; // performance.now() when the queue arrived: waiting_s counts up from there
  var holding = {}; // session_id -> true
  var current = null; // {session_id, mode: "hold" | "watch" | "view"}
  var messages = []; // of the current conversation
  var traceTimer = null;
  var ui = {};

  // --- layout ------------------------------------------------------------------------------
  function build() {
    ui.status = el("span", { class: "d-status", "data-testid": "desk-status", text: "offline" });
    ui.who = el("span", { class: "d-who", "data-testid": "operator" });
    ui.tabs = el("nav", { class: "d-tabs", hidden: true }, [
      tab("desk", "Desk"), tab("live", "Live sessions"), tab("dashboard", "Dashboard")
    ]);
    root.appendChild(el("header", { class: "d-top" }, [el("h1", { text: "Agent desk" }), ui.tabs, ui.status, ui.who]));

    ui.tokenInput = el("input", { type: "password", "data-testid": "token", "aria-label": "Operator token",
      placeholder: "op1.…", autocomplete: "off" });
    ui.signinError = el("div", { class: "d-error", "data-testid": "signin-error", role: "alert" });
    ui.signin = el("form", { class: "d-signin", "data-testid": "signin", onsubmit: function (e) {
      e.preventDefault(); signIn(ui.tokenInput.value.trim());
    } }, [
      el("h2", { text: "Sign in" }),
      el("label", { text: "Operator token (from `callcenter operator token NAME`)" }),
      ui.tokenInput, el("button", { type: "submit", "data-testid": "signin-submit", text: "Sign in" }), ui.signinError
    ]);
    root.appendChild(ui.signin);

    ui.queue = el("ul", { class: "d-list", "data-testid": "queue", "aria-live": "polite" });
    ui.holding = el("ul", { class: "d-list", "data-testid": "holding" });
    ui.conv = el("ol", { class: "d-conv", "data-testid": "conversation", "aria-live": "polite" });
    ui.convTitle = el("h2", { "data-testid": "conversation-title", text: "Conversation" });
    ui.reply = el("textarea", { rows: 2, "data-testid": "reply-input", "aria-label": "Reply to the customer",
      placeholder: "Write to the customer… (Enter sends, Shift+Enter for a new line)" });
    ui.reply.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sendReply(); }
    });
    ui.note = el("input", { "data-testid": "release-note", placeholder: "Note for the bot (optional)" });
    ui.resolution = el("input", { "data-testid": "close-resolution", placeholder: "Resolution" });
    ui.actionError = el("div", { class: "d-error", "data-testid": "action-error", role: "alert" });
    ui.compose = el("div", { class: "d-compose", hidden: true }, [
      ui.reply,
      el("div", { class: "d-actions" }, [
        el("button", { "data-testid": "reply-send", text: "Send", onclick: sendReply }),
        ui.note, el("button", { class: "secondary", "data-testid": "release", text: "Release to bot", onclick: release })
      ]),
      el("div", { class: "d-actions" }, [
        ui.resolution, el("button", { class: "secondary", "data-testid": "close", text: "Close handoff", onclick: closeHandoff })
      ]),
      ui.actionError
    ]);
    ui.trace = el("div", { "data-testid": "trace" });
    ui.desk = el("main", { class: "d-main", hidden: true }, [
      el("section", { class: "d-panel" }, [el("h2", { text: "Queue" }), ui.queue, el("h2", { text: "You hold" }), ui.holding]),
      el("section", { class: "d-panel" }, [ui.convTitle, ui.conv, ui.compose]),
      el("section", { class: "d-panel" }, [el("h2", { text: "Per-turn trace" }), ui.trace])
    ]);
    root.appendChild(ui.desk);

    ui.live = el("ul", { class: "d-list", "data-testid": "live-sessions" });
    ui.livePane = el("main", { class: "d-main", hidden: true, style: "grid-template-columns: 420px 1fr" }, [
      el("section", { class: "d-panel" }, [el("h2", { text: "Active in the last 30 minutes" }), ui.live]),
      el("section", { class: "d-panel" }, [el("h2", { text: "Watching" }), (ui.watchConv = el("ol", {
        class: "d-conv", "data-testid": "watch-conversation" }))])
    ]);
    root.appendChild(ui.livePane);

    ui.kpis = el("div", { class: "d-kpis", "data-testid": "kpis" });
    ui.charts = el("div", { class: "d-dash", "data-testid": "dashboard" });
    ui.dashPane = el("div", { hidden: true }, [ui.kpis, ui.charts]);
    root.appendChild(ui.dashPane);
  }

  function tab(name, label) {
    return el("button", { type: "button", "data-tab": name, "data-testid": "tab-" + name, "aria-selected": "false",
      text: label, onclick: function () { showTab(name); } });
  }

  function showTab(name) {
    Array.prototype.forEach.call(ui.tabs.children, function (b) {
      b.setAttribute("aria-selected", b.getAttribute("data-tab") === name ? "true" : "false");
    });
    ui.desk.hidden = name !== "desk";
    ui.livePane.hidden = name !== "live";
    ui.dashPane.hidden = name !== "dashboard";
    if (name === "live") loadLive();
    if (name === "dashboard") loadDashboard();
  }

  function setStatus(text, state) {
    ui.status.textContent = text;
    ui.status.setAttribute("data-state", state);
  }

  // --- connection --------------------------------------------------------------------------
  function signIn(value) {
    if (!value) { ui.signinError.textContent = "Paste your operator token."; return; }
    token = value;
    try { sessionStorage.setItem("cc-desk-token", token); } catch (e) { /* private mode */ }
    connect();
  }

  function connect() {
    setStatus("connecting", "connecting");
    var sock = new WebSocket(wsUrl);
    ws = sock;
    sock.addEventListener("open", function () { send({ type: "hello", token: token }); });
    sock.addEventListener("message", function (e) {
      if (sock !== ws) return;
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      onFrame(frame);
    });
    sock.addEventListener("close", function () {
      if (sock !== ws) return;
      ws = null;
      setStatus("offline – reconnecting", "offline");
      if (!operator) return; // never signed in: wait for the form
      var delay = BACKOFF_MS[Math.min(attempts++, BACKOFF_MS.length - 1)];
      setTimeout(connect, delay);
    });
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { ui.actionError.textContent = "Not connected; retrying…"; return false; }
    ws.send(JSON.stringify(frame));
    return true;
  }

  function authFetch(path) {
    return fetch(origin + path, { headers: { Authorization: "Bearer " + token }, credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }

  // --- frames ------------------------------------------------------------------------------
  function onFrame(f) {
    switch (f.type) {
      case "desk": return onDesk(f);
      case "queue": return renderQueue(f.queue);
      case "taken":
        holding[f.session_id] = true;
        renderHolding();
        return openConversation(f.session_id, "hold", f.history);
      case "sent": case "customer_message":
        if (current && current.session_id === f.session_id) {
          addMessage({ id: f.message_id, role: f.type === "sent" ? "agent" : "user", text: f.text,
            operator: f.type === "sent" ? operator.name : null });
          scheduleTrace();
        } else if (f.type === "customer_message") {
          markUnread(f.session_id);
        }
        return;
      case "released": case "closed":
        delete holding[f.session_id];
        renderHolding();
        if (current && current.session_id === f.session_id) {
          current.mode = "view";
          ui.compose.hidden = true;
          ui.convTitle.textContent = (f.type === "closed" ? "Closed: " : "Released to the bot: ") + f.session_id.slice(0, 8);
          scheduleTrace();
        }
        return;
      case "watching": return renderWatch(f.history);
      case "event":
        if (f.event === "message" && f.message) ui.watchConv.appendChild(messageNode(f.message));
        return;
      case "error": return onError(f);
      default: return;
    }
  }

  function onDesk(f) {
    attempts = 0;
    operator = f.operator;
    ui.signin.hidden = true;
    ui.who.textContent = operator.name + " · " + operator.role;
    setStatus("online", "online");
    ui.tabs.hidden = !(operator.role === "supervisor" || operator.role === "admin");
    if (ui.desk.hidden && ui.livePane.hidden && ui.dashPane.hidden) showTab("desk");
    holding = {};
    (f.holding || []).forEach(function (sid) { holding[sid] = true; });
    renderHolding();
    renderQueue(f.queue);
    if (current && holding[current.session_id]) openConversation(current.session_id, "hold", null);
  }

  function onError(f) {
    if (!operator) {
      ui.signinError.textContent = f.message || f.code;
      ui.signinError.setAttribute("data-code", f.code);
      if (ws) { var s = ws; ws = null; s.close(); }
      return;
    }
    ui.actionError.textContent = f.message || f.code;
    ui.actionError.setAttribute("data-code", f.code);
    if (f.code === "invalid_token" || f.code === "expired_token") {
      operator = null;
      ui.signin.hidden = false;
      ui.signinError.textContent = f.message;
    }
  }

  // --- queue -------------------------------------------------------------------------------
  function renderQueue(list) {
    queue = list || [];
    queueAt = performance.now();
    clear(ui.queue);
    if (!queue.length) ui.queue.appendChild(el("li", { class: "d-empty", text: "Nobody is waiting." }));
    queue.forEach(function (h) {
      var pri = h.priority || "normal";
      var wait = el("span", { class: "d-wait", "data-testid": "waiting", "data-since": h.waiting_s });
      ui.queue.appendChild(el("li", { class: "d-item", "data-testid": "queue-item", "data-session": h.session_id,
        "data-handoff": h.handoff_id, "data-priority": pri }, [
        el("div", { class: "d-row" }, [
          el("span", { class: "d-badge d-pri-" + pri, "data-testid": "priority", text: PRIORITY_LABEL[pri] || pri }),
          el("span", { class: "d-badge", "data-testid": "channel", text: h.channel }),
          h.language ? el("span", { class: "d-badge", "data-testid": "language", text: h.language }) : null,
          // one row per resident (docs/desk.md): how many of their handoffs wait behind it
          h.waiting > 1 ? el("span", { class: "d-badge", "data-testid": "waiting-count", text: h.waiting + " waiting" }) : null,
          el("strong", { text: h.customer || "Anonymous visitor" }), wait
        ]),
        el("div", { class: "d-summary", text: (h.queue ? "[" + h.queue + "] " : "") + (h.summary || "") }),
        el("div", { class: "d-row" }, [
          el("button", { "data-testid": "take", text: "Take", onclick: function (e) {
            e.target.disabled = true;
            ui.actionError.textContent = "";
            send({ type: "take", handoff_id: h.handoff_id });
          } }),
          el("button", { class: "secondary", text: "Preview", onclick: function () { openConversation(h.session_id, "view", null); } })
        ])
      ]));
    });
    tickWaits();
  }

  function tickWaits() {
    var elapsed = (performance.now() - queueAt) / 1000;
    Array.prototype.forEach.call(ui.queue.querySelectorAll("[data-since]"), function (w) {
      w.textContent = fmtWait(Number(w.getAttribute("data-since")) + elapsed);
    });
  }
  setInterval(tickWaits, 1000);

  function renderHolding() {
    clear(ui.holding);
    var ids = Object.keys(holding);
    if (!ids.length) ui.holding.appendChild(el("li", { class: "d-empty", text: "No conversations." }));
    ids.forEach(function (sid) {
      ui.holding.appendChild(el("li", { class: "d-item", "data-testid": "held-item", "data-session": sid,
        "aria-current": current && current.session_id === sid ? "true" : "false" }, [
        el("button", { class: "secondary", text: "Open " + sid.slice(0, 8), onclick: function () { openConversation(sid, "hold", null); } })
      ]));
    });
  }

  function markUnread(sid) {
    var item = ui.holding.querySelector('[data-session="' + sid + '"]');
    if (item) item.setAttribute("data-unread", "true");
  }

  // --- conversation ------------------------------------------------------------------------
  function messageNode(m) {
    var who = m.role === "user" ? "Customer" : m.role === "agent" ? (m.operator || "Staff") + " (person)"
      : "Bot" + (m.agent ? " · " + m.agent : "");
    return el("li", { class: "d-msg", "data-testid": "conv-message", "data-role": m.role, "data-id": m.id }, [
      el("small", { text: who }), document.createTextNode(m.text)
    ]);
  }

  function addMessage(m) {
    if (m.id && messages.some(function (x) { return x.id === m.id; })) return;
    messages.push(m);
    ui.conv.appendChild(messageNode(m));
    ui.conv.scrollTop = ui.conv.scrollHeight;
  }

  function openConversation(sid, mode, history) {
    current = { session_id: sid, mode: mode };
    messages = [];
    clear(ui.conv);
    ui.compose.hidden = mode !== "hold";
    ui.actionError.textContent = "";
    ui.convTitle.textContent = (mode === "hold" ? "You hold " : "Preview ") + sid.slice(0, 8);
    renderHolding();
    if (history) history.forEach(addMessage);
    loadTrace(!history);
    if (mode === "hold") ui.reply.focus();
  }

  function scheduleTrace() {
    clearTimeout(traceTimer);
    traceTimer = setTimeout(function () { loadTrace(false); }, 400);
  }

  function loadTrace(withMessages) {
    if (!current) return;
    var sid = current.session_id;
    authFetch("/v1/sessions/" + encodeURIComponent(sid)).then(function (t) {
      if (!current || current.session_id !== sid) return;
      if (withMessages) t.messages.forEach(addMessage);
      renderTrace(t);
    }).catch(function (e) { ui.trace.textContent = "Could not load the trace: " + e.message; });
  }

  function renderTrace(t) {
    clear(ui.trace);
    var s = t.session;
    ui.trace.appendChild(el("div", { class: "d-turn" }, [el("strong", { text: (s.customer || "Anonymous") + " · " + s.channel }),
      el("div", { class: "d-summary", text: "status " + s.status + (s.held_by ? " · held by " + s.held_by : "") })]));
    if (!t.turns.length) ui.trace.appendChild(el("div", { class: "d-empty", text: "No bot turns yet." }));
    t.turns.forEach(function (turn, i) {
      var dl = el("dl");
      function row(k, v) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", { text: v })); }
      row("router", (turn.vertical || "–") + (turn.confidence != null ? " (" + Number(turn.confidence).toFixed(2) + ")" : ""));
      row("difficulty", turn.difficulty != null ? Number(turn.difficulty).toFixed(2) : "–");
      row("agent", turn.agent || "–");
      row("tier", turn.tier != null ? "T" + turn.tier : "local");
      row("tools", turn.tools.length ? turn.tools.map(function (c) {
        return c.name + "(" + JSON.stringify(c.arguments) + ") → " + (c.status === "ok" ? JSON.stringify(c.result) : c.error);
      }).join("\n") : "–");
      row("cost", money(turn.cost_usd) + (turn.models.length ? " · " + turn.models.join(", ") : ""));
      row("latency", turn.latency_ms != null ? Math.round(turn.latency_ms) + " ms" : "–");
      row("escalations", String(turn.escalations));
      row("outcome", turn.outcome);
      ui.trace.appendChild(el("div", { class: "d-turn", "data-testid": "trace-turn" }, [el("strong", { text: "Turn " + (i + 1) }), dl]));
    });
  }

  function sendReply() {
    var text = ui.reply.value.trim();
    if (!text || !current || current.mode !== "hold") return;
    if (send({ type: "message", session_id: current.session_id, text: text })) ui.reply.value = "";
  }

  function release() {
    if (!current) return;
    send({ type: "release", session_id: current.session_id, note: ui.note.value.trim() || null });
    ui.note.value = "";
  }

  function closeHandoff() {
    if (!current) return;
    send({ type: "close", session_id: current.session_id, resolution: ui.resolution.value.trim() || "resolved" });
    ui.resolution.value = "";
  }

  // --- supervisors: live sessions ------------------------------------------------------------
  var watching = null;
  function loadLive() {
    authFetch("/v1/desk/sessions").then(function (d) {
      clear(ui.live);
      if (!d.sessions.length) ui.live.appendChild(el("li", { class: "d-empty", text: "No recent sessions." }));
      d.sessions.forEach(function (s) {
        ui.live.appendChild(el("li", { class: "d-item", "data-testid": "live-item", "data-session": s.session_id }, [
          el("div", { class: "d-row" }, [el("strong", { text: s.customer || "Anonymous" }),
            el("span", { class: "d-badge", text: s.channel }), el("span", { class: "d-badge", text: s.status }),
            el("span", { class: "d-wait", text: s.messages + " msgs" })]),
          el("div", { class: "d-summary", text: s.held_by ? "held by " + s.held_by : (s.active_agent || "bot") }),
          el("button", { class: "secondary", "data-testid": "watch", text: "Watch", onclick: function () {
            if (watching) send({ type: "unwatch", session_id: watching });
            watching = s.session_id;
            send({ type: "watch", session_id: s.session_id });
          } })
        ]));
      });
    }).catch(function (e) { ui.live.textContent = "Could not load sessions: " + e.message; });
  }

  function renderWatch(history) {
    clear(ui.watchConv);
    (history || []).forEach(function (m) { ui.watchConv.appendChild(messageNode(m)); });
  }

  // --- supervisors: dashboard ----------------------------------------------------------------
  function loadDashboard() {
    Promise.all([authFetch("/v1/reports/summary"), authFetch("/v1/desk/agents")]).then(function (r) {
      renderDashboard(r[0], r[1]);
    }).catch(function (e) { ui.charts.textContent = "Could not load the report: " + e.message; });
  }

  function kpi(label, value, testid) {
    return el("div", { class: "d-kpi", "data-testid": testid }, [el("b", { text: value }), el("span", { text: label })]);
  }

  function renderDashboard(report, agents) {
    clear(ui.kpis);
    clear(ui.charts);
    var o = report.overall;
    ui.kpis.appendChild(kpi("spent", money(o.cost_usd), "kpi-cost"));
    ui.kpis.appendChild(kpi("savings vs all-frontier", pct(report.savings_vs_frontier), "kpi-savings"));
    ui.kpis.appendChild(kpi("cache hit rate", pct(report.cache_hit_rate), "kpi-cache"));
    ui.kpis.appendChild(kpi("p95 latency", o.p95_latency_ms != null ? Math.round(o.p95_latency_ms) + " ms" : "–", "kpi-p95"));
    ui.kpis.appendChild(kpi("handoff rate", pct(o.handoff_rate), "kpi-handoff"));
    var routes = report.routes;
    ui.charts.appendChild(barChart("Cost per route (USD)", routes.map(function (r) { return [r.route, r.cost_usd]; }), money, "chart-cost-route"));
    ui.charts.appendChild(barChart("Cost per agent (USD)", agents.agents.map(function (a) { return [a.agent, a.cost_usd]; }), money, "chart-cost-agent"));
    ui.charts.appendChild(barChart("p95 latency per route (ms)", routes.map(function (r) { return [r.route, r.p95_latency_ms || 0]; }),
      function (v) { return Math.round(v) + " ms"; }, "chart-p95"));
    ui.charts.appendChild(barChart("Handoff rate per route", routes.map(function (r) { return [r.route, r.handoff_rate]; }), pct, "chart-handoff"));
    var mix = Object.keys(o.tier_mix).sort().map(function (k) { return ["T" + k, o.tier_mix[k]]; });
    ui.charts.appendChild(barChart("Tier mix (share of model calls)", mix, pct, "chart-tier-mix"));
    ui.charts.appendChild(barChart("Cost vs all-frontier (USD)", [["actual", o.cost_usd], ["all-frontier", o.frontier_cost_usd]], money, "chart-savings"));
  }

  // A horizontal bar chart in plain SVG: one bar per [label, value].
  function barChart(title, rows, fmt, testid) {
    var box = el("figure", { class: "d-chart", "data-testid": testid }, [el("h3", { text: title })]);
    if (!rows.length) { box.appendChild(el("p", { class: "d-empty", text: "No data yet." })); return box; }
    var max = Math.max.apply(null, rows.map(function (r) { return Number(r[1]) || 0; })) || 1;
    var rowH = 24, labelW = 110, width = 420, barW = width - labelW - 80;
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + (rows.length * rowH + 6), role: "img", "aria-label": title });
    rows.forEach(function (r, i) {
      var y = i * rowH + 3, v = Number(r[1]) || 0, w = Math.max(1, (v / max) * barW);
      svg.appendChild(svgEl("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", "font-size": 12, fill: "#1c2529", text: r[0] }));
      svg.appendChild(svgEl("rect", { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, fill: "#2f8f6f", "data-value": v }));
      svg.appendChild(svgEl("text", { x: labelW + w + 6, y: y + 15, "font-size": 11, fill: "#5c6b72", text: fmt(v) }));
    });
    box.appendChild(svg);
    return box;
  }

  // --- start ---------------------------------------------------------------------------------
  build();
  var fromHash = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (fromHash) {
    history.replaceState(null, "", location.pathname + location.search); // keep it out of the address bar
    signIn(decodeURIComponent(fromHash[1]));
  } else {
    var saved = null;
    try { saved = sessionStorage.getItem("cc-desk-token"); } catch (e) { /* private mode */ }
    if (saved) signIn(saved);
  }
})();
