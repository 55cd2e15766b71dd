/* Today live: polls /api/reports/live and refreshes at once on queue events (Socket.IO). */
"use strict";
(function () {
  var root = document.getElementById("today");
  if (!root) return;
  var OS = window.OS, timer = null, state = document.getElementById("live-state");
  var STATUS = { open: "Đang mở", paused: "Tạm dừng", closed: "Đóng" };
  var ALERTS = { print_failed: "In phiếu lỗi", voice_gap: "Thiếu âm thanh gọi số" };
  var HEALTH = { ok: "hoạt động tốt", degraded: "trục trặc", error: "lỗi", not_configured: "chưa cấu hình", disabled: "đã tắt" };
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
      return [c.name, STATUS[c.status] || c.status, c.on_duty ? (c.clerk || "—") : "—", c.ticket || "—"];
    }), 4);
    OS.fill(document.getElementById("t-waiting"), live.waiting_by_service.map(function (w) {
      return [w.name, w.waiting, OS.dur(w.longest_wait_s)];
    }), 3, "Không ai đang chờ / Nobody waiting");
    var dev = document.getElementById("t-devices");
    if (live.devices === null) {
      OS.fill(dev, [], 3, "— (chưa có thông tin thiết bị)");
    } else {
      OS.fill(dev, live.devices.map(function (d) {
        var kind = d.kind === "display" ? "Màn hình" : d.kind === "kiosk" ? "Kiosk" : d.kind;
        var st = OS.el("td", d.connected ? "Đã kết nối" : "Mất kết nối", d.connected ? "ok" : "bad");
        return [kind + " " + (d.name || ""), d.address || "—", st];
      }), 3, "Không có thiết bị nào kết nối");
    }
    var health = document.getElementById("l-health");
    health.textContent = "";
    [["printer", "Máy in"], ["voice", "Giọng đọc"]].forEach(function (p) {
      var h = live.health[p[0]] || {}, ok = h.status === "ok";
      var li = OS.el("li", p[1] + ": " + (HEALTH[h.status] || h.status || "—") + (h.message ? " – " + h.message : ""),
        ok ? "ok" : h.status === "not_configured" || h.status === "disabled" ? "muted" : "bad");
      health.appendChild(li);
    });
    var alerts = document.getElementById("l-alerts");
    alerts.textContent = "";
    if (!live.alerts.length) alerts.appendChild(OS.el("li", "Không có cảnh báo / No alerts", "muted"));
    live.alerts.forEach(function (a) {
      var label = ALERTS[a.type] || a.type;
      if (a.data && a.data.number) label += " " + a.data.number;
      var detail = a.data && (a.data.message || a.data.error || a.data.reason);
      alerts.appendChild(OS.el("li", a.at.slice(11, 16) + " · " + label + (detail ? ": " + detail : ""), "bad"));
    });
  }

  function refresh() {
    timer = null;
    Promise.all([OS.getJSON("/api/reports/live"), OS.getJSON("/api/reports/daily")])
      .then(function (r) {
        render(r[0], r[1]);
        state.textContent = "trực tiếp";
        state.className = "badge ok";
      })
      .catch(function () {
        state.textContent = "mất kết nối";
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
