/* Counter tablet: after Finish, ask the citizen for a 1..4 rating; give up after 30 s. */
"use strict";
(function () {
  var root = document.getElementById("rate");
  if (!root) return;
  var counter = root.dataset.counter, timeout = Number(root.dataset.timeout) || 30;
  var screens = { idle: document.getElementById("idle"), ask: document.getElementById("ask"), thanks: document.getElementById("thanks") };
  var errorBox = document.getElementById("rate-error");
  var current = null, left = 0, tick = null, seen = {};
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function show(name) {
    Object.keys(screens).forEach(function (k) { screens[k].hidden = k !== name; });
    root.dataset.screen = name;
  }
  function idle() {
    clearInterval(tick);
    current = null;
    show("idle");
  }
  function ask(ticket) {
    current = ticket;
    seen[ticket.id] = true;
    document.getElementById("ask-number").textContent = ticket.number;
    left = timeout;
    document.getElementById("ask-left").textContent = left;
    show("ask");
    clearInterval(tick);
    tick = setInterval(function () {
      left -= 1;
      document.getElementById("ask-left").textContent = left;
      if (left <= 0) idle();
    }, 1000);
  }
  function poll() {
    if (current) return;
    fetch("/api/counters/" + counter + "/rating-ticket", { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) throw new Error(window.I18n.bi("rate.login_again"));
        return r.json();
      })
      .then(function (data) {
        errorBox.hidden = true;
        if (data.ticket && !seen[data.ticket.id] && !current) ask(data.ticket);
      })
      .catch(function (e) {
        errorBox.textContent = e.message;
        errorBox.hidden = false;
      });
  }
  document.querySelectorAll("button.face").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!current) return;
      var id = current.id;
      clearInterval(tick);
      current = null;
      show("thanks");
      fetch("/api/tickets/" + encodeURIComponent(id) + "/feedback", {
        method: "POST",
        credentials: "same-origin",
        // X-Onestop-Device: an enrolled tablet's write, which a cross-site page cannot send.
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "X-Onestop-Device": "1" },
        body: JSON.stringify({ rating: Number(b.dataset.rating) }),
      }).finally(function () { setTimeout(idle, 3000); });
    });
  });
  show("idle");
  poll();
  setInterval(poll, 2000);
})();
