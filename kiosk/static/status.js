// A citizen's ticket on their phone: follows the queue live, then asks for a rating.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("status-data").textContent);
  var T = {
    vi: {
      your_number: "Số thứ tự của bạn",
      ahead: "Số người chờ trước bạn",
      wait: "Thời gian chờ dự kiến",
      rate_q: "Bạn có hài lòng với việc giải quyết thủ tục?",
      r4: "Rất hài lòng", r3: "Hài lòng", r2: "Bình thường", r1: "Không hài lòng",
      thanks: "Cảm ơn bạn đã đánh giá!",
      hotline: "Đường dây nóng",
      waiting: "Đang chờ",
      called: "Đến lượt bạn!",
      serving: "Đang được phục vụ",
      done: "Đã giải quyết xong",
      no_show: "Đã gọi nhưng bạn vắng mặt. Vui lòng liên hệ cán bộ.",
      cancelled: "Phiếu đã bị huỷ",
      expired: "Phiếu đã hết hiệu lực (hết ngày làm việc)",
      go_to: "Mời bạn đến {counter}",
      at: "Tại {counter}",
      next_up: "Sắp đến lượt",
      minutes: function (m) { return "khoảng " + m + " phút"; },
      hours_n: function (h) { return "khoảng " + h + " giờ"; },
      live: "Tự động cập nhật",
      offline: "Mất kết nối, đang thử lại…",
      rate_failed: "Không gửi được đánh giá, vui lòng thử lại.",
    },
    en: {
      your_number: "Your number",
      ahead: "People ahead of you",
      wait: "Estimated wait",
      rate_q: "Were you satisfied with how your request was handled?",
      r4: "Very satisfied", r3: "Satisfied", r2: "Neutral", r1: "Unsatisfied",
      thanks: "Thank you for your feedback!",
      hotline: "Hotline",
      waiting: "Waiting",
      called: "It is your turn!",
      serving: "Being served",
      done: "Completed",
      no_show: "You were called but not present. Please ask staff.",
      cancelled: "Ticket cancelled",
      expired: "Ticket expired (the working day has ended)",
      go_to: "Please go to {counter}",
      at: "At {counter}",
      next_up: "You are next",
      minutes: function (m) { return "about " + m + " min"; },
      hours_n: function (h) { return "about " + h + " h"; },
      live: "Updates automatically",
      offline: "Connection lost, retrying…",
      rate_failed: "Could not send your rating, please try again.",
    },
  };
  var lang = data.lang;
  var ticket = null;
  var online = false;
  var rated = false;

  function $(id) { return document.getElementById(id); }
  function t(key) { return T[lang][key]; }

  function waitText(seconds, ahead) {
    if (ahead === 0) return t("next_up");
    if (seconds === null || seconds === undefined) return "—";
    var m = Math.max(1, Math.ceil(seconds / 60));
    return m >= 120 ? t("hours_n")(Math.floor(m / 60)) : t("minutes")(m);
  }

  function counterName(n) {
    return data.counters[String(n)] || ((lang === "vi" ? "Quầy " : "Counter ") + n);
  }

  function render() {
    document.documentElement.lang = lang;
    $("s-office").textContent = data.office[lang];
    document.querySelectorAll("[data-t]").forEach(function (el) {
      var v = T[lang][el.dataset.t];
      if (typeof v === "string") el.textContent = v;
    });
    document.querySelectorAll("button.lang").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
    });
    $("s-live").textContent = online ? t("live") : t("offline");
    $("s-live").dataset.state = online ? "live" : "offline";
    if (!ticket) return;
    var svc = data.services[ticket.service];
    $("s-number").textContent = ticket.number;
    $("s-service").textContent = svc ? svc[lang] : ticket.service;
    var st = $("s-status");
    st.dataset.status = ticket.status;
    st.textContent = t(ticket.status) || ticket.status;
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
      c.textContent = t(ticket.status === "called" ? "go_to" : "at")
        .replace("{counter}", counterName(ticket.counter));
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
    }).catch(function () { window.alert(t("rate_failed")); });
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
