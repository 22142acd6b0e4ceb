/*
 * Resident help chat widget for the callcenter web chat (/v1/chat, docs/protocol.md).
 *
 * Embed with one tag:
 *   <script src="https://HOST/static/widget.js" data-server="wss://HOST/v1/chat" defer></script>
 *
 * Optional attributes on the script tag:
 *   data-server  websocket URL of /v1/chat (default: derived from this script's own URL)
 *   data-token   a signed customer token from the host site's login (hides the demo picker)
 *   data-title   header title (default "Resident help")
 *
 * No build step, no framework, no external requests besides the server it talks to:
 * the widget must drop into any property-management site without a bundler.
 */
(function () {
  "use strict";

  if (window.__callcenterWidget) return; // included twice: keep the first one
  window.__callcenterWidget = true;

  var MAX_CHARS = 10000; // the protocol's ceiling; the server may enforce less and say so
  var BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  var STORE_PREFIX = "ccw:";
  var AGENT_LABELS = {
    booking: "Booking agent",
    billing: "Billing agent",
    escalation: "Emergency & escalation",
    general: "Help desk",
    out_of_scope: "Help desk"
  };

  // --- where we are and whom we talk to ----------------------------------------------

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var scriptUrl = new URL((script && script.src) || "/static/widget.js", location.href);
  var serverUrl = (script && script.getAttribute("data-server")) || defaultServer(scriptUrl);
  var httpOrigin = toHttpOrigin(serverUrl);
  var hostToken = script && script.getAttribute("data-token");
  var title = (script && script.getAttribute("data-title")) || "Resident help";

  function defaultServer(url) {
    var proto = url.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + url.host + "/v1/chat";
  }

  function toHttpOrigin(ws) {
    var u = new URL(ws, location.href);
    var proto = u.protocol === "wss:" ? "https:" : u.protocol === "ws:" ? "http:" : u.protocol;
    return proto + "//" + u.host;
  }

  // sessionStorage can throw (privacy modes, sandboxed frames): the widget still works without it.
  function load(key) {
    try { return window.sessionStorage.getItem(STORE_PREFIX + key); } catch (e) { return null; }
  }
  function save(key, value) {
    try {
      if (value === null || value === undefined) window.sessionStorage.removeItem(STORE_PREFIX + key);
      else window.sessionStorage.setItem(STORE_PREFIX + key, value);
    } catch (e) { /* storage unavailable: resume just won't survive a reload */ }
  }

  function countChars(text) {
    // Code points, like the server's len(str); .length would count emoji twice.
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff) n++;
    }
    return n;
  }

  var numberFmt = new Intl.NumberFormat("en-US");

  // --- DOM ------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function injectCss() {
    var link = el("link", { rel: "stylesheet", href: new URL("widget.css", scriptUrl).href });
    link.addEventListener("load", reveal);
    link.addEventListener("error", reveal); // unstyled beats invisible
    document.head.appendChild(link);
  }

  var ui = {};

  function build() {
    ui.root = el("div", { class: "ccw-root", "data-testid": "widget", style: "visibility:hidden" });

    ui.launcher = el("button", {
      type: "button", class: "ccw-launcher", "data-testid": "launcher",
      "aria-expanded": "false", "aria-controls": "ccw-panel", "aria-label": "Open " + title.toLowerCase() + " chat"
    }, [el("span", { class: "ccw-launcher-icon", "aria-hidden": "true" })]);

    ui.status = el("span", { class: "ccw-status", "data-testid": "status", role: "status", "data-state": "idle" }, [
      el("span", { class: "ccw-dot", "aria-hidden": "true" }),
      el("span", { class: "ccw-status-text", text: "Not connected" })
    ]);
    ui.statusText = ui.status.lastChild;

    ui.close = el("button", { type: "button", class: "ccw-close", "aria-label": "Close chat", "data-testid": "close" },
      [el("span", { "aria-hidden": "true", text: "\u00d7" })]);

    ui.who = el("span", { class: "ccw-who", "data-testid": "customer", text: "" });

    var header = el("header", { class: "ccw-header" }, [
      el("div", { class: "ccw-heading" }, [
        el("h2", { class: "ccw-title", id: "ccw-title", text: title }),
        ui.status
      ]),
      ui.close
    ]);

    ui.select = el("select", { id: "ccw-resident", class: "ccw-select", "data-testid": "resident-select" }, [
      el("option", { value: "anon", text: "Anonymous visitor" })
    ]);
    ui.identity = el("div", { class: "ccw-identity" }, [
      el("label", { for: "ccw-resident", text: "Chatting as" }), ui.select, ui.who
    ]);

    ui.log = el("ol", {
      class: "ccw-log", "data-testid": "messages", role: "log", "aria-live": "polite",
      "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0"
    });

    // Tappable answers to the last reply (its numbered options, or yes/no); typing still works.
    ui.quick = el("div", {
      class: "ccw-quick", "data-testid": "quick-replies", role: "group", "aria-label": "Quick replies", hidden: true
    });

    ui.input = el("textarea", {
      id: "ccw-input", class: "ccw-input", "data-testid": "input", rows: "2",
      placeholder: "Type your message\u2026", "aria-describedby": "ccw-counter ccw-hint", autocomplete: "off"
    });
    ui.counter = el("span", { id: "ccw-counter", class: "ccw-counter", "data-testid": "counter", "aria-live": "off" });
    ui.hint = el("span", { id: "ccw-hint", class: "ccw-hint", "data-testid": "input-hint", "aria-live": "polite" });
    ui.send = el("button", { type: "submit", class: "ccw-send", "data-testid": "send", disabled: true, text: "Send" });
    ui.form = el("form", { class: "ccw-composer", novalidate: true }, [
      el("label", { for: "ccw-input", class: "ccw-sr", text: "Your message (Enter to send, Shift+Enter for a new line)" }),
      ui.input,
      el("div", { class: "ccw-composer-bar" }, [
        el("div", { class: "ccw-composer-meta" }, [ui.counter, ui.hint]), ui.send
      ])
    ]);

    ui.panel = el("section", {
      id: "ccw-panel", class: "ccw-panel", role: "dialog", "aria-labelledby": "ccw-title",
      "data-testid": "panel", hidden: true
    }, [header, ui.identity, ui.log, ui.quick, ui.form]);

    ui.root.appendChild(ui.panel);
    ui.root.appendChild(ui.launcher);
    document.body.appendChild(ui.root);

    ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden); });
    ui.close.addEventListener("click", function () { setOpen(false); ui.launcher.focus(); });
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { setOpen(false); ui.launcher.focus(); }
    });
    ui.log.addEventListener("scroll", function () {
      pinned = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 48;
    });
    ui.select.addEventListener("change", function () { switchIdentity(ui.select.value); });
    ui.input.addEventListener("input", updateComposer);
    ui.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      }
    });
    ui.form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    updateComposer();
  }

  function reveal() { ui.root.style.visibility = ""; }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.setAttribute("aria-label", (open ? "Close " : "Open ") + title.toLowerCase() + " chat");
    ui.root.classList.toggle("ccw-open", open);
    save("open", open ? "1" : null);
    if (open) {
      ensureConnected();
      ui.input.focus();
      scrollToEnd(true);
    }
  }

  // Follow new text only while the reader is at the bottom: someone scrolled up to reread
  // an earlier answer should not be yanked down by every streamed word.
  var pinned = true;
  function scrollToEnd(force) {
    if (force) pinned = true;
    if (pinned) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function setStatus(state, text) {
    ui.status.setAttribute("data-state", state);
    ui.statusText.textContent = text;
    updateComposer();
  }

  // --- messages ---------------------------------------------------------------------------

  function agentLabel(agent) {
    if (AGENT_LABELS[agent]) return AGENT_LABELS[agent];
    var words = String(agent).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1) + " agent";
  }

  // --- quick replies -----------------------------------------------------------------------
  // The agents ask in plain text ("1) Tue Dec 1, 8:00 AM ... Which one works?", "... (yes or no)"),
  // which is also what a phone caller hears; the widget turns those into buttons.

  var YES_NO = /\(yes or no\)\s*$|\b(shall i|should i|do you want me to|would you like me to)\b[^?]*\?\s*$/i;

  function quickRepliesFor(text) {
    var options = [];
    var re = /^\s*(\d{1,2})[.)]\s+(\S.*?)\s*$/gm;
    var m;
    while ((m = re.exec(text || ""))) {
      if (Number(m[1]) !== options.length + 1) break; // only a list counted from 1
      options.push({ label: m[2], send: m[1], aria: "Option " + m[1] + ": " + m[2] });
    }
    if (options.length >= 2 && options.length <= 9) return options;
    if (YES_NO.test(String(text || "").trim())) {
      return [{ label: "Yes", send: "yes", aria: "Yes" }, { label: "No", send: "no", aria: "No" }];
    }
    return [];
  }

  function clearQuickReplies() {
    while (ui.quick.firstChild) ui.quick.removeChild(ui.quick.firstChild);
    ui.quick.hidden = true;
  }

  function showQuickReplies(text) {
    clearQuickReplies();
    var options = quickRepliesFor(text);
    options.forEach(function (o) {
      var btn = el("button", {
        type: "button", class: "ccw-quick-btn", "data-testid": "quick-reply", "data-send": o.send,
        "aria-label": o.aria, text: o.label
      });
      btn.addEventListener("click", function () {
        if (!ready()) return;
        if (sendMessage(o.send)) { clearQuickReplies(); ui.input.focus(); }
      });
      ui.quick.appendChild(btn);
    });
    ui.quick.hidden = options.length === 0;
    updateComposer();
  }

  function addUser(text) {
    var li = el("li", { class: "ccw-msg ccw-user", "data-testid": "message-user" }, [
      el("span", { class: "ccw-sr", text: "You said: " }),
      el("div", { class: "ccw-bubble", text: text })
    ]);
    ui.log.appendChild(li);
    scrollToEnd(true);
    return li;
  }

  // A person from the team writing in the conversation (the agent desk, docs/desk.md).
  function addPerson(text, operator) {
    var li = el("li", { class: "ccw-msg ccw-assistant ccw-person", "data-testid": "message-agent" }, [
      el("div", { class: "ccw-meta" }, [el("span", {
        class: "ccw-agent ccw-agent-human", "data-testid": "agent-label", "data-agent": "human",
        text: operator ? operator + " (staff)" : "Staff member"
      })]),
      el("span", { class: "ccw-sr", text: "Staff member: " }),
      el("div", { class: "ccw-bubble", text: text || "" })
    ]);
    ui.log.appendChild(li);
    scrollToEnd();
    return li;
  }

  function addAssistant(text, agent, handoff) {
    var bubble = el("div", { class: "ccw-bubble", text: text || "" });
    var li = el("li", { class: "ccw-msg ccw-assistant", "data-testid": "message-assistant" }, [
      el("span", { class: "ccw-sr", text: "Assistant: " }), bubble
    ]);
    ui.log.appendChild(li);
    finishAssistant(li, text, agent, handoff);
    scrollToEnd();
    return li;
  }

  function finishAssistant(li, text, agent, handoff) {
    var bubble = li.querySelector(".ccw-bubble");
    bubble.textContent = text;
    li.removeAttribute("data-streaming");
    li.classList.remove("ccw-streaming");
    if (!agent && !handoff) return;
    var meta = el("div", { class: "ccw-meta" });
    if (agent) {
      li.setAttribute("data-agent", agent);
      meta.appendChild(el("span", {
        class: "ccw-agent ccw-agent-" + agent, "data-testid": "agent-label", "data-agent": agent,
        text: agentLabel(agent)
      }));
    }
    if (handoff) {
      li.setAttribute("data-handoff", "true");
      meta.appendChild(el("span", {
        class: "ccw-handoff", "data-testid": "handoff", text: "A staff member has been alerted"
      }));
    }
    li.insertBefore(meta, li.firstChild);
  }

  // The reply being streamed; deltas append to it, the final message replaces it.
  var streaming = null;

  function startStreaming() {
    if (streaming) return streaming;
    streaming = el("li", {
      class: "ccw-msg ccw-assistant ccw-streaming", "data-testid": "message-assistant", "data-streaming": "true"
    }, [
      el("span", { class: "ccw-sr", text: "Assistant: " }),
      el("div", { class: "ccw-bubble" }, [el("span", { class: "ccw-typing", "aria-label": "Assistant is typing" },
        [el("span"), el("span"), el("span")])])
    ]);
    ui.log.setAttribute("aria-busy", "true"); // announce the reply once, when it is whole
    ui.log.appendChild(streaming);
    scrollToEnd();
    return streaming;
  }

  function appendDelta(text) {
    var li = startStreaming();
    var bubble = li.querySelector(".ccw-bubble");
    var typing = bubble.querySelector(".ccw-typing");
    if (typing) bubble.removeChild(typing);
    bubble.appendChild(document.createTextNode(text));
    scrollToEnd();
  }

  function endStreaming(final) {
    var li = streaming;
    streaming = null;
    ui.log.removeAttribute("aria-busy");
    if (!li) return null;
    if (!final) li.parentNode.removeChild(li);
    return li;
  }

  function addNotice(text, opts) {
    opts = opts || {};
    var li = el("li", {
      class: "ccw-notice" + (opts.kind ? " ccw-notice-" + opts.kind : ""),
      "data-testid": opts.testid || "error", "data-code": opts.code || null,
      role: opts.kind === "error" ? "alert" : null
    }, [el("span", { text: text })]);
    if (opts.retry) {
      var btn = el("button", { type: "button", class: "ccw-retry", "data-testid": "retry", text: "Send again" });
      btn.addEventListener("click", function () {
        btn.disabled = true;
        opts.retry();
      });
      li.appendChild(btn);
    }
    ui.log.appendChild(li);
    scrollToEnd();
    return li;
  }

  function showIntro(customer) {
    var who = customer ? "Hi " + customer.split(" ")[0] + "! " : "Hi! ";
    ui.log.appendChild(el("li", { class: "ccw-intro", "data-testid": "intro" }, [el("span", {
      text: who + "Ask about repairs and viewings, rent and payments, or anything urgent. " +
        "If you smell gas or see flooding, tell us straight away."
    })]));
  }

  function resetLog() {
    clearQuickReplies();
    streaming = null;
    ui.log.removeAttribute("aria-busy");
    while (ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
  }

  // --- composer ----------------------------------------------------------------------------

  function ready() { return ws && ws.readyState === WebSocket.OPEN && sessionId && !awaitingSession; }

  function updateComposer() {
    var text = ui.input.value;
    var n = countChars(text);
    var over = n > MAX_CHARS;
    var empty = text.trim() === "";
    ui.counter.textContent = numberFmt.format(n) + " / " + numberFmt.format(MAX_CHARS);
    ui.counter.classList.toggle("ccw-over", over);
    ui.input.setAttribute("aria-invalid", over ? "true" : "false");
    if (over) {
      var extra = n - MAX_CHARS;
      ui.hint.textContent = "Too long by " + numberFmt.format(extra) + (extra === 1 ? " character." : " characters.");
    }
    else if (!ready() && !empty) ui.hint.textContent = "Waiting for connection\u2026";
    else ui.hint.textContent = "";
    ui.send.disabled = empty || over || !ready();
    Array.prototype.forEach.call(ui.quick.children, function (b) { b.disabled = !ready(); });
  }

  var nextClientId = 1;
  var lastSent = null;

  function submit() {
    var text = ui.input.value.trim();
    if (!text) { ui.input.focus(); return; }
    if (countChars(text) > MAX_CHARS) { updateComposer(); return; }
    if (!ready()) { updateComposer(); return; }
    if (sendMessage(text)) {
      ui.input.value = "";
      updateComposer();
    }
  }

  function sendMessage(text) {
    clearQuickReplies();
    var clientId = "w" + Date.now().toString(36) + "-" + nextClientId++;
    if (!send({ type: "message", text: text, client_id: clientId })) return false;
    lastSent = text;
    addUser(text);
    startStreaming();
    return true;
  }

  // --- identity ------------------------------------------------------------------------------

  var residents = {}; // id -> {id, name, unit, token}
  var identity = hostToken ? "host" : (load("resident") || "anon");

  function tokenFor(id) {
    if (id === "host") return hostToken;
    return residents[id] ? residents[id].token : null;
  }

  function loadResidents() {
    if (hostToken) { ui.identity.hidden = true; return Promise.resolve(); }
    return fetch(httpOrigin + "/v1/demo/residents", { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        residents = {};
        while (ui.select.options.length > 1) ui.select.remove(1);
        (data.residents || []).forEach(function (r) {
          residents[String(r.id)] = r;
          ui.select.appendChild(el("option", {
            value: String(r.id),
            text: r.name + (r.unit ? " \u2013 " + r.unit : "") + (r.voice_pin ? " \u00b7 phone PIN " + r.voice_pin : "")
          }));
        });
        if (identity !== "anon" && !residents[identity]) identity = "anon";
        ui.select.value = identity;
      })
      .catch(function () {
        // Demo mode off or server down: anonymous chat still works.
        identity = "anon";
        ui.select.value = "anon";
      });
  }

  function switchIdentity(id) {
    if (id === identity) return;
    identity = id;
    save("resident", id === "anon" ? null : id);
    resetLog();
    if (ws && ws.readyState === WebSocket.OPEN) sendHello();
    else ensureConnected();
  }

  // --- connection ----------------------------------------------------------------------------

  var ws = null;
  var sessionId = null;
  var awaitingSession = false;
  var attempts = 0;
  var reconnectTimer = null;
  var countdownTimer = null;
  var residentsLoaded = null;
  var tokenRetried = false;

  function sessionKey() { return "session:" + identity; }

  function ensureConnected() {
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(reconnectTimer);
    clearInterval(countdownTimer);
    reconnectTimer = null;
    residentsLoaded = residentsLoaded || loadResidents();
    residentsLoaded.then(connect);
  }

  function connect() {
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
    setStatus("connecting", attempts ? "Reconnecting\u2026" : "Connecting\u2026");
    var sock;
    try {
      sock = new WebSocket(serverUrl);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.addEventListener("open", function () { if (sock === ws) sendHello(); });
    sock.addEventListener("message", function (e) { if (sock === ws) onFrame(e.data); });
    sock.addEventListener("close", function () {
      if (sock !== ws) return;
      ws = null;
      sessionId = null;
      awaitingSession = false;
      if (endStreaming(false)) {
        addNotice("The connection dropped before the reply finished. Reconnecting\u2026",
          { kind: "warn", code: "disconnected" });
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    var delay = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
    delay = Math.round(delay * (0.8 + Math.random() * 0.4)); // jitter: don't stampede a restarted server
    attempts++;
    var until = Date.now() + delay;
    var tick = function () {
      var s = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      setStatus("reconnecting", "Offline \u2013 retrying in " + s + "s");
    };
    tick();
    clearInterval(countdownTimer);
    countdownTimer = setInterval(tick, 1000);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(function () {
      clearInterval(countdownTimer);
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function retryNow() {
    if (reconnectTimer) { ensureConnected(); }
  }
  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) retryNow(); });

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function sendHello() {
    var frame = { type: "hello" };
    var token = identity !== "anon" ? tokenFor(identity) : null;
    if (token) frame.token = token;
    var resume = load(sessionKey());
    if (resume) frame.session_id = resume;
    awaitingSession = true;
    sessionId = null;
    setStatus("connecting", "Signing in\u2026");
    send(frame);
  }

  function onFrame(raw) {
    var frame;
    try { frame = JSON.parse(raw); } catch (e) { return; }
    if (!frame || typeof frame !== "object") return;
    switch (frame.type) {
      case "session": return onSession(frame);
      case "delta":
        if (!awaitingSession && typeof frame.text === "string") appendDelta(frame.text);
        return;
      case "message": return onMessage(frame);
      case "received": // a person holds the conversation: they have it, no bot reply comes
        if (!awaitingSession) endStreaming(false);
        return;
      case "error": return onError(frame);
      default: return; // pong and future frame types
    }
  }

  function onSession(frame) {
    awaitingSession = false;
    attempts = 0;
    tokenRetried = false;
    sessionId = frame.session_id;
    save(sessionKey(), sessionId);
    resetLog();
    var history = Array.isArray(frame.history) ? frame.history : [];
    if (!history.length) showIntro(frame.customer);
    history.forEach(function (m) {
      if (m.role === "user") addUser(m.text);
      else if (m.role === "assistant") addAssistant(m.text, m.agent, false);
      else if (m.role === "agent") addPerson(m.text, m.operator);
    });
    var last = history[history.length - 1];
    if (last && last.role === "assistant") showQuickReplies(last.text);
    scrollToEnd(true);
    ui.who.textContent = frame.customer ? "Signed in as " + frame.customer : "Not signed in";
    setStatus("online", frame.customer ? "Online" : "Online \u2013 anonymous");
  }

  function onMessage(frame) {
    if (frame.role === "agent") { // pushed by a person at the desk, not a reply to a pending message
      if (!awaitingSession) addPerson(frame.text, frame.operator);
      return;
    }
    if (awaitingSession) return; // a reply to the identity we just left
    var li = endStreaming(true);
    if (li) finishAssistant(li, frame.text || "", frame.agent, !!frame.handoff);
    else addAssistant(frame.text || "", frame.agent, !!frame.handoff);
    showQuickReplies(frame.handoff ? "" : frame.text);
    scrollToEnd();
  }

  function onError(frame) {
    var code = frame.code || "error";
    var text = frame.message || "Something went wrong.";
    if (awaitingSession) {
      if (code === "session_not_found" || code === "session_forbidden" ||
          code === "session_wrong_channel" || code === "session_anonymous") {
        save(sessionKey(), null); // stale: start afresh rather than fail
        sendHello();
        return;
      }
      if ((code === "expired_token" || code === "invalid_token") && !tokenRetried && identity !== "host") {
        tokenRetried = true; // a fresh demo token, once
        residentsLoaded = loadResidents();
        residentsLoaded.then(function () { if (ws && ws.readyState === WebSocket.OPEN) sendHello(); });
        return;
      }
      if (code === "expired_token" || code === "invalid_token") {
        addNotice(text + " Continuing as an anonymous visitor.", { kind: "error", code: code });
        identity = "anon";
        ui.select.value = "anon";
        save("resident", null);
        sendHello();
        return;
      }
    }
    endStreaming(false);
    var retry = null;
    if ((code === "unavailable" || code === "internal_error") && lastSent) {
      var again = lastSent;
      retry = function () { if (ready()) sendMessage(again); };
    }
    addNotice(text, { kind: "error", code: code, retry: retry });
    if (code === "hello_required" || code === "expired_token") sendHello(); // expired mid-chat: sign in again
  }

  // --- start ---------------------------------------------------------------------------------

  function start() {
    build();
    injectCss();
    if (load("open")) setOpen(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
