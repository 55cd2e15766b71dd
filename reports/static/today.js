/* Today live: polls /api/reports/live and refreshes at once on queue events (Socket.IO). */
"use strict";
(function () {
  var root = document.getElementById("today");
  if (!root) return;
  var OS = window.OS, timer = null, state = document.getElementById("live-state");
  // Strings come from the catalogue (server/translations), in the page's language.
  var t = window.I18n.t, bi = window.I18n.bi;
  var STATUS = { open: "reports.c_open", paused: "reports.c_paused", closed: "reports.c_closed" };
  var ALERTS = { print_failed: "reports.a_print", voice_gap: "reports.a_voice", sms_failed: "reports.a_sms" };
  var HEALTH = {
    ok: "reports.h_ok", degraded: "reports.h_degraded", error: "reports.h_error",
    not_configured: "reports.h_not_configured", disabled: "reports.h_disabled",
  };
  function label(keys, value) { return keys[value] ? t(keys[value]) : value; }
  function set(id, v) { document.getElementById(id).textContent = v; }

  function render(live, day) {
    set("live-now", live.now.slice(11, 16) + " · " + live.date);
    set("k-waiting", live.waiting);
    set("k-longest", OS.dur(live.longest_wait_s));
    set("k-counters", live.counters_on_duty + " / " + live.counters.length);
    var o = day.office;
    set("k-issued", o.issued);
    set("k-served", o.served);
    set("k-target", OS.pct(o.within_target_pct));
    set("k-wait", OS.dur(o.wait_avg_s));
    set("k-satisfied", OS.pct(o.satisfied_pct));
    OS.fill(document.getElementById("t-counters"), live.counters.map(function (c) {
      return [c.name, label(STATUS, c.status), c.on_duty ? (c.clerk || "—") : "—", c.ticket || "—"];
    }), 4);
    OS.fill(document.getElementById("t-waiting"), live.waiting_by_service.map(function (w) {
      return [w.name, w.waiting, OS.dur(w.longest_wait_s)];
    }), 3, bi("reports.nobody_waiting"));
    var dev = document.getElementById("t-devices");
    if (live.devices === null) {
      OS.fill(dev, [], 3, t("reports.no_device_info"));
    } else {
      OS.fill(dev, live.devices.map(function (d) {
        var kind = d.kind === "display" ? t("common.display") : d.kind === "kiosk" ? t("common.kiosk") : d.kind;
        var st = OS.el("td", t(d.connected ? "reports.dev_connected" : "reports.dev_lost"), d.connected ? "ok" : "bad");
        return [kind + " " + (d.name || ""), d.address || "—", st];
      }), 3, t("reports.no_devices"));
    }
    var health = document.getElementById("l-health");
    health.textContent = "";
    [["printer", t("reports.printer")], ["voice", t("reports.voice")], ["sms", t("reports.sms")]].forEach(function (p) {
      var h = live.health[p[0]] || {}, ok = h.status === "ok";
      var li = OS.el("li", p[1] + ": " + (label(HEALTH, h.status) || "—") + (h.message ? " – " + h.message : ""),
        ok ? "ok" : h.status === "not_configured" || h.status === "disabled" ? "muted" : "bad");
      health.appendChild(li);
    });
    var alerts = document.getElementById("l-alerts");
    alerts.textContent = "";
    if (!live.alerts.length) alerts.appendChild(OS.el("li", bi("reports.no_alerts"), "muted"));
    live.alerts.forEach(function (a) {
      var text = label(ALERTS, a.type);
      if (a.type === "clock_stepped") text = window.I18n.clockStepped(a.data || {}, a.at);
      if (a.data && a.data.number) text += " " + a.data.number;
      if (a.type === "sms_failed" && a.data) text += " " + (a.data.code || "") + " (#" + a.data.id + ")";
      var detail = a.data && (a.data.message || a.data.error || a.data.reason);
      alerts.appendChild(OS.el("li", a.at.slice(11, 16) + " · " + text + (detail ? ": " + detail : ""), "bad"));
    });
  }

  function refresh() {
    timer = null;
    Promise.all([OS.getJSON("/api/reports/live"), OS.getJSON("/api/reports/daily")])
      .then(function (r) {
        render(r[0], r[1]);
        state.textContent = t("reports.live");
        state.className = "badge ok";
      })
      .catch(function () {
        state.textContent = t("reports.offline");
        state.className = "badge bad";
      });
  }
  function soon() { if (!timer) timer = setTimeout(refresh, 800); }

  refresh();
  setInterval(refresh, 15000);
  if (window.io) {
    var socket = window.io("/display", { transports: ["websocket", "polling"] });
    ["ticket_issued", "ticket_called", "queue_changed", "snapshot"].forEach(function (ev) { socket.on(ev, soon); });
  }
})();
