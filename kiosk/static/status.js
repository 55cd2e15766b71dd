// A citizen's ticket on their phone: follows the queue live, then asks for a rating.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("status-data").textContent);
  var lang = data.lang;
  var ticket = null;
  var online = false;
  var rated = false;

  function $(id) { return document.getElementById(id); }
  // Strings come from the catalogue (server/translations), in the language picked on screen.
  function t(key, params) { return window.I18n.t(key, params, lang); }

  var STATES = {
    waiting: "common.waiting",
    called: "status.called",
    serving: "status.serving",
    done: "status.done",
    no_show: "status.no_show",
    cancelled: "status.cancelled",
    expired: "status.expired",
  };

  function waitText(seconds, ahead) {
    if (ahead === 0) return t("citizen.next_up");
    if (seconds === null || seconds === undefined) return "—";
    var m = Math.max(1, Math.ceil(seconds / 60));
    return m >= 120 ? t("citizen.hours", { h: Math.floor(m / 60) }) : t("citizen.minutes", { m: m });
  }

  function counterName(n) {
    return data.counters[String(n)] || t("common.counter_n", { n: n });
  }

  function render() {
    document.documentElement.lang = lang;
    $("s-office").textContent = data.office[lang];
    document.querySelectorAll("[data-t]").forEach(function (el) {
      el.textContent = t(el.dataset.t);
    });
    document.querySelectorAll("button.lang").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
    });
    $("s-live").textContent = online ? t("status.live") : t("status.offline");
    $("s-live").dataset.state = online ? "live" : "offline";
    if (!ticket) return;
    var svc = data.services[ticket.service];
    $("s-number").textContent = ticket.number;
    $("s-service").textContent = svc ? svc[lang] : ticket.service;
    var st = $("s-status");
    st.dataset.status = ticket.status;
    st.textContent = STATES[ticket.status] ? t(STATES[ticket.status]) : ticket.status;
    var waiting = ticket.status === "waiting";
    $("s-facts").hidden = !waiting;
    if (waiting) {
      $("s-ahead").textContent = String(ticket.position);
      $("s-wait").textContent = waitText(ticket.estimated_wait_s, ticket.position);
    }
    var c = $("s-counter");
    var atCounter = ticket.counter && (ticket.status === "called" || ticket.status === "serving");
    c.hidden = !atCounter;
    if (atCounter) {
      c.textContent = t(ticket.status === "called" ? "status.go_to" : "status.at",
        { counter: counterName(ticket.counter) });
    }
    var canRate = ticket.status === "done" && ticket.rating === null && !rated;
    $("s-rate").hidden = !canRate;
    $("s-thanks").hidden = !(ticket.status === "done" && (ticket.rating !== null || rated));
  }

  var inflight = false, again = false;
  function load() {
    if (inflight) { again = true; return; }
    inflight = true;
    fetch("/api/tickets/" + encodeURIComponent(data.ticket), { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (body) {
        var before = ticket && ticket.status;
        ticket = body.ticket;
        if (before === "waiting" && ticket.status === "called" && navigator.vibrate) {
          navigator.vibrate([300, 150, 300]);
        }
        render();
      })
      .catch(function () { /* the next event or the poll tries again */ })
      .then(function () {
        inflight = false;
        if (again) { again = false; load(); }
      });
  }

  $("s-rate").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-rating]");
    if (!b) return;
    fetch("/api/tickets/" + encodeURIComponent(data.ticket) + "/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rating: Number(b.dataset.rating) }),
    }).then(function (r) {
      if (r.status === 201 || r.status === 409) { rated = true; load(); render(); }
      else throw new Error("HTTP " + r.status);
    }).catch(function () { window.alert(t("status.rate_failed")); });
  });
  document.querySelectorAll("button.lang").forEach(function (b) {
    b.addEventListener("click", function () { lang = b.dataset.lang; render(); });
  });

  render();
  load();
  // Events are the fast path; this slow poll only covers a socket that silently died.
  setInterval(load, 30000);
  if (window.io) {
    var socket = window.io("/display", { auth: { kind: "status" } });
    socket.on("connect", function () { online = true; render(); load(); });
    socket.on("disconnect", function () { online = false; render(); });
    socket.on("connect_error", function () { online = false; render(); });
    ["ticket_issued", "ticket_called", "queue_changed"].forEach(function (name) {
      socket.on(name, load);
    });
  }
})();
