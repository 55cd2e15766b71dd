// The touch kiosk: one tap on a procedure issues one ticket, shows it, then starts over.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("kiosk-data").textContent);
  var ISSUE_TIMEOUT_MS = 8000;
  var lang = data.lang;
  var services = data.services;
  var priority = null; // index of the chosen priority group, or null
  var intent = null; // {code, key, priority}: one tap-intent, one Idempotency-Key
  var attempts = 0;
  var retryTimer = null;
  var countdown = null;
  var printPoll = null;
  var offlineReasons = {};

  function $(id) { return document.getElementById(id); }
  // Strings come from the catalogue (server/translations), in the language picked on screen.
  function t(key, params) { return window.I18n.t(key, params, lang); }

  function newKey() {
    // crypto.randomUUID needs a secure context; the kiosk may run on plain http on the LAN.
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function waitText(seconds, ahead) {
    if (ahead === 0) return t("citizen.next_up");
    if (seconds === null || seconds === undefined) return "—";
    var m = Math.max(1, Math.ceil(seconds / 60));
    return m >= 120 ? t("citizen.hours", { h: Math.floor(m / 60) }) : t("citizen.minutes", { m: m });
  }

  function other(l) { return l === "vi" ? "en" : "vi"; }
  function svcName(s, l) { return l === "en" ? (s.name_en || s.name) : s.name; }

  function show(id) {
    ["busy", "result", "error"].forEach(function (x) { $(x).hidden = x !== id; });
    $("start").setAttribute("aria-hidden", id ? "true" : "false");
  }

  function setOffline(reason, on) {
    if (on) offlineReasons[reason] = true; else delete offlineReasons[reason];
    var box = $("offline");
    box.hidden = Object.keys(offlineReasons).length === 0;
    box.textContent = t("kiosk.offline");
  }

  // Buttons are updated in place, not rebuilt: a queue event arrives every few
  // seconds in a busy hall, and a button replaced between a finger's press and
  // release would swallow the tap.
  function serviceButton(box, code, index) {
    var b = box.children[index];
    if (b && b.dataset.code === code) return b;
    b = document.createElement("button");
    b.type = "button";
    b.dataset.code = code;
    ["svc-prefix", "svc-name", "svc-sub", "svc-info", "svc-info2"].forEach(function (c) {
      var span = document.createElement("span");
      span.className = c;
      b.appendChild(span);
    });
    box.insertBefore(b, box.children[index] || null);
    return b;
  }

  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

  function renderServices() {
    var box = $("services");
    services.forEach(function (s, i) {
      var b = serviceButton(box, s.code, i);
      var cls = "svc" + (s.open ? "" : " closed") + (priority !== null ? " prio" : "");
      if (b.className !== cls) b.className = cls;
      b.disabled = !s.open;
      var spans = b.children;
      setText(spans[0], s.prefix);
      setText(spans[1], svcName(s, lang));
      setText(spans[2], svcName(s, other(lang)));
      if (s.open) {
        setText(spans[3], t("kiosk.waiting_n", { n: s.waiting }));
        setText(spans[4], s.waiting === 0 ? t("citizen.next_up") : t("kiosk.wait_about", { w: waitText(s.estimated_wait_s, s.waiting) }));
      } else {
        setText(spans[3], t("kiosk.closed"));
        setText(spans[4], t("kiosk.hours") + ": " + (s["hours_" + lang] || "—"));
      }
    });
    while (box.children.length > services.length) box.removeChild(box.lastChild);
  }

  function renderPriority() {
    var list = $("priority-list");
    list.textContent = "";
    data.priority[lang].forEach(function (label, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "prio-choice";
      b.dataset.index = String(i);
      b.textContent = label;
      list.appendChild(b);
    });
    var on = priority !== null;
    $("priority-on").hidden = !on;
    $("priority-toggle").hidden = on;
    if (on) $("priority-label").textContent = t("kiosk.priority_on") + ": " + data.priority[lang][priority];
  }

  function translate() {
    document.documentElement.lang = lang;
    $("office-name").textContent = data.office[lang];
    document.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.dataset.t);
    });
    document.querySelectorAll("button.lang").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
    });
    renderServices();
    renderPriority();
    if (!$("offline").hidden) $("offline").textContent = t("kiosk.offline");
  }

  function refresh() {
    return fetch("/api/services", { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        var hours = {};
        services.forEach(function (s) { hours[s.code] = s; });
        // The result-return procedure has no button: the collect-results screen reaches it.
        services = body.services.filter(function (s) { return s.kind !== "return"; }).map(function (s) {
          var old = hours[s.code] || {};
          s.hours_vi = old.hours_vi; s.hours_en = old.hours_en;
          return s;
        });
        setOffline("services", false);
        renderServices();
      })
      .catch(function () { setOffline("services", true); });
  }

  // A new configuration version: office, priority groups and procedures (hours too) again.
  function reconfigure() {
    var q = "?kiosk=" + encodeURIComponent(data.kiosk) + "&lang=" + encodeURIComponent(lang);
    return fetch("/kiosk/data.json" + q, { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        body.lang = lang;
        data = body;
        services = body.services;
        if (priority !== null && priority >= data.priority[lang].length) priority = null;
        translate();
        document.body.dataset.configVersion = String(configVersion);
      })
      .catch(function () { setTimeout(reconfigure, 2000); });
  }

  var configVersion = 0;
  function configChanged(p) {
    configVersion = (p && p.version) || configVersion + 1;
    reconfigure();
  }

  var refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 150);
  }

  function tap(code) {
    if (intent) return; // a second tap of the same intent: the first request stands
    intent = { code: code, key: newKey(), priority: priority !== null };
    attempts = 0;
    $("busy-retry").hidden = true;
    $("busy-cancel").hidden = true;
    show("busy");
    issue();
  }

  function issue() {
    attempts += 1;
    var sent = intent;
    // A server that accepts the connection but never answers counts as unreachable too.
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, ISSUE_TIMEOUT_MS);
    fetch("/api/tickets", {
      method: "POST",
      signal: abort.signal,
      // The enrolment cookie goes along by itself; this header shows the write is our own page's.
      headers: { "Content-Type": "application/json", "Idempotency-Key": sent.key, "X-Onestop-Device": "1" },
      body: JSON.stringify({ service: sent.code, priority: sent.priority, kiosk: data.kiosk }),
    })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; },
          function () { return { status: r.status, body: null }; });
      })
      .then(function (res) {
        clearTimeout(timer);
        if (intent !== sent) return;
        if (res.status >= 500 || !res.body) throw new Error("server " + res.status);
        setOffline("issue", false);
        if (res.status === 200 || res.status === 201) showResult(res.body.ticket);
        else showError(res.body.error || {});
      })
      .catch(function () {
        clearTimeout(timer);
        if (intent !== sent) return;
        // Unreachable: say so and retry with the same key, so a ticket the server did
        // create before the connection dropped is returned, never duplicated.
        setOffline("issue", true);
        $("busy-retry").hidden = false;
        $("busy-retry").textContent = t("kiosk.retrying", { n: attempts });
        $("busy-cancel").hidden = false;
        retryTimer = setTimeout(issue, Math.min(5000, 1000 * attempts));
      });
  }

  function showError(err) {
    var msg = err.code === "service_closed" ? t("kiosk.closed_err")
      : err.code === "numbers_exhausted" ? t("kiosk.exhausted")
      // 401/403: this browser is neither enrolled nor the server machine itself.
      : err.code === "unauthorized" || err.code === "forbidden" || err.code === "csrf_failed" ? t("kiosk.not_enrolled")
      : t("kiosk.failed");
    $("e-text").textContent = msg;
    show("error");
    refresh();
    startCountdown(Math.max(5, data.return_after_s), null);
  }

  function showResult(ticket) {
    var s = services.filter(function (x) { return x.code === ticket.service; })[0] || {};
    $("r-number").textContent = ticket.number;
    $("r-service").textContent = svcName(s, lang) || ticket.service;
    $("r-priority").hidden = !ticket.priority;
    $("r-ahead").textContent = ticket.position === null ? "—" : String(ticket.position);
    $("r-wait").textContent = waitText(ticket.estimated_wait_s, ticket.position);
    $("r-qr").src = "/t/" + encodeURIComponent(ticket.id) + "/qr.svg";
    $("result").dataset.ticket = ticket.id;
    setPrint("pending");
    show("result");
    pollPrint(ticket.id, 0);
    startCountdown(data.return_after_s, ticket.id);
  }

  function setPrint(state) {
    var p = $("r-print");
    p.dataset.state = state;
    var keys = {
      pending: "kiosk.print_pending",
      printed: "kiosk.print_printed",
      failed: "kiosk.print_failed",
      unknown: "kiosk.print_failed",
      disabled: "kiosk.print_disabled",
    };
    p.textContent = keys[state] ? t(keys[state]) : state;
  }

  function pollPrint(id, n) {
    fetch("/api/tickets/" + encodeURIComponent(id) + "/print", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if ($("result").dataset.ticket !== id) return;
        var st = body.print.status;
        // Still pending after a long wait: tell the citizen to ask staff all the same.
        if (st === "pending" && n >= 60) st = "unknown";
        setPrint(st);
        if (st === "pending") {
          printPoll = setTimeout(function () { pollPrint(id, n + 1); }, 250);
        } else if (st === "failed" || st === "unknown") {
          // Give the citizen time to read the number, scan the code or call staff.
          startCountdown(Math.max(30, data.return_after_s * 3), id);
        }
      })
      .catch(function () {
        if ($("result").dataset.ticket === id && n < 60) {
          printPoll = setTimeout(function () { pollPrint(id, n + 1); }, 1000);
        }
      });
  }

  function startCountdown(seconds, id) {
    clearInterval(countdown);
    var left = seconds;
    $("r-count").textContent = "(" + left + ")";
    countdown = setInterval(function () {
      left -= 1;
      $("r-count").textContent = "(" + left + ")";
      if (left <= 0) reset();
    }, 1000);
  }

  function reset() {
    clearInterval(countdown);
    clearTimeout(retryTimer);
    clearTimeout(printPoll);
    intent = null;
    priority = null;
    $("result").dataset.ticket = "";
    setOffline("issue", false);
    show(null);
    $("priority-panel").hidden = true;
    $("priority-toggle").setAttribute("aria-expanded", "false");
    renderPriority();
    refresh();
  }

  $("services").addEventListener("click", function (ev) {
    var b = ev.target.closest("button.svc");
    if (b && !b.disabled) tap(b.dataset.code);
  });
  $("priority-toggle").addEventListener("click", function () {
    var panel = $("priority-panel");
    panel.hidden = !panel.hidden;
    this.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
  });
  $("priority-list").addEventListener("click", function (ev) {
    var b = ev.target.closest("button.prio-choice");
    if (!b) return;
    priority = Number(b.dataset.index);
    $("priority-panel").hidden = true;
    renderPriority();
    renderServices();
  });
  $("priority-close").addEventListener("click", function () {
    $("priority-panel").hidden = true;
    $("priority-toggle").setAttribute("aria-expanded", "false");
  });
  $("priority-cancel").addEventListener("click", function () {
    priority = null;
    renderPriority();
    renderServices();
  });
  $("busy-cancel").addEventListener("click", reset);
  $("r-done").addEventListener("click", reset);
  $("e-ok").addEventListener("click", reset);
  document.querySelectorAll("button.lang").forEach(function (b) {
    b.addEventListener("click", function () { lang = b.dataset.lang; translate(); });
  });
  // A long press must not open a context menu on a touchscreen.
  document.addEventListener("contextmenu", function (ev) { ev.preventDefault(); });

  translate();
  setInterval(refresh, 30000); // opening hours change with the clock, not with events

  if (window.io) {
    // An enrolled kiosk is known by its cookie, sent with the handshake: no name to claim.
    var socket = window.io("/display", {
      transports: ["websocket", "polling"],
    });
    socket.on("connect", function () { setOffline("socket", false); refresh(); });
    socket.on("disconnect", function () { setOffline("socket", true); });
    socket.on("connect_error", function () { setOffline("socket", true); });
    socket.on("ticket_issued", refreshSoon);
    socket.on("queue_changed", refreshSoon);
    socket.on("ticket_called", refreshSoon);
    socket.on("config_changed", configChanged);
  }
})();
