// Collecting a result: the citizen scans the appointment slip (the scanner types the code) or
// types it on the keypad; ready gives a return ticket on the usual ticket screen, not ready the
// promised date, unknown sends them to staff. Everything else is kiosk.js's (window.Kiosk).
(function () {
  "use strict";

  var K = window.Kiosk;
  var MAX_LEN = 40;
  var TRIES = 5;
  var ROWS = ["1234567890", "ABCDEFGHIJ", "KLMNOPQRST", "UVWXYZ.-"];
  var WEEKDAYS = ["kiosk.wday_sun", "kiosk.wday_mon", "kiosk.wday_tue", "kiosk.wday_wed",
    "kiosk.wday_thu", "kiosk.wday_fri", "kiosk.wday_sat"];
  var MONTHS = ["kiosk.month_1", "kiosk.month_2", "kiosk.month_3", "kiosk.month_4",
    "kiosk.month_5", "kiosk.month_6", "kiosk.month_7", "kiosk.month_8", "kiosk.month_9",
    "kiosk.month_10", "kiosk.month_11", "kiosk.month_12"];
  var code = "";
  var intent = null; // {code, key}: one look-up, one Idempotency-Key, kept across retries
  var idle = null;
  var countdown = null;
  var retry = null;
  var answer = null; // the last answer shown, re-rendered when the language changes
  var returnService = null;

  function $(id) { return document.getElementById(id); }
  function t(key, params) { return K.t(key, params); }

  // "Thứ Năm, ngày 3 tháng 12 năm 2026" / "Thursday 3 December 2026"
  function dateWords(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    if (!m) return iso || "—";
    var y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    var wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
    return t("kiosk.collect_date", { weekday: t(WEEKDAYS[wd]), d: d, month: t(MONTHS[mo - 1]), y: y });
  }

  function localToday() {
    var n = new Date();
    return n.getFullYear() + "-" + ("0" + (n.getMonth() + 1)).slice(-2) + "-" + ("0" + n.getDate()).slice(-2);
  }

  function renderButton() {
    var b = $("collect-open");
    b.hidden = !returnService;
    if (!returnService) return;
    b.disabled = !returnService.open;
    b.querySelector(".c-sub").textContent = window.I18n.t("kiosk.collect", null, K.other(K.lang()));
  }

  function renderCode() {
    $("c-code").textContent = code || "";
    $("c-code").classList.toggle("empty", !code);
    $("c-find").disabled = !code || intent !== null;
  }

  function buildKeys() {
    var box = $("c-keys");
    ROWS.forEach(function (row, i) {
      row.split("").forEach(function (ch) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "k-key";
        b.dataset.key = ch;
        b.textContent = ch;
        box.appendChild(b);
      });
      if (i === ROWS.length - 1) {
        [["back", "kiosk.collect_backspace", "\u232b"], ["clear", "kiosk.collect_clear", null]].forEach(function (k) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "k-key k-key-" + k[0];
          b.dataset.key = k[0];
          b.dataset.label = k[1];
          b.setAttribute("aria-label", t(k[1]));
          b.textContent = k[2] || t(k[1]);
          box.appendChild(b);
        });
      }
    });
  }

  function touchIdle() {
    clearTimeout(idle);
    // Each key restarts it, so a long code typed on the keypad never runs out.
    idle = setTimeout(K.reset, 1000 * Math.max(6, K.data.return_after_s * 3));
  }

  function open() {
    code = "";
    intent = null;
    renderCode();
    K.show("collect");
    touchIdle();
  }

  function press(key) {
    if (intent) return;
    if (key === "back") code = code.slice(0, -1);
    else if (key === "clear") code = "";
    else if (code.length < MAX_LEN) code += key;
    renderCode();
    touchIdle();
  }

  function lookUp(text) {
    if (intent || !text) return;
    code = text.slice(0, MAX_LEN);
    intent = { code: code, key: K.newKey(), tries: 0 };
    renderCode();
    if (K.shown() !== "collect") K.show("collect");
    clearTimeout(idle);
    send();
  }

  function send() {
    var sent = intent;
    sent.tries += 1;
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, 8000);
    fetch("/api/returns", {
      method: "POST",
      signal: abort.signal,
      headers: { "Content-Type": "application/json", "Idempotency-Key": sent.key, "X-Onestop-Device": "1" },
      body: JSON.stringify({ code: sent.code }),
    })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; },
          function () { return { status: r.status, body: null }; });
      })
      .then(function (res) {
        clearTimeout(timer);
        if (intent !== sent) return;
        if (res.status >= 500 || !res.body) throw new Error("server " + res.status);
        K.setOffline("collect", false);
        intent = null;
        if (res.status === 200 || res.status === 201) {
          K.showResult(res.body.ticket);
        } else {
          showAnswer(kindOf(res), sent.code, res.body.due || (res.body.error || {}).due);
        }
      })
      .catch(function () {
        clearTimeout(timer);
        if (intent !== sent) return;
        K.setOffline("collect", true);
        if (sent.tries >= TRIES) {
          intent = null;
          showAnswer("failed", sent.code, null);
          return;
        }
        // The same key again: a ticket the server made before the line dropped comes back.
        retry = setTimeout(send, 1000 * sent.tries);
      });
  }

  function kindOf(res) {
    var err = (res.body && res.body.error) || {};
    if (err.code === "not_ready") return "not_ready";
    if (err.code === "already_returned") return "returned";
    if (err.code === "service_closed") return "closed";
    if (err.code === "unauthorized" || err.code === "forbidden" || err.code === "csrf_failed") return "not_enrolled";
    if (res.status === 404 || res.status === 400) return "unknown";
    return "failed";
  }

  var TEXTS = {
    not_ready: ["kiosk.collect_not_ready", "kiosk.collect_come_back"],
    returned: ["kiosk.collect_returned", "kiosk.collect_ask_staff"],
    unknown: ["kiosk.collect_unknown", "kiosk.collect_ask_staff"],
    closed: ["kiosk.closed_err", "kiosk.collect_ask_staff"],
    not_enrolled: ["kiosk.not_enrolled", "kiosk.collect_ask_staff"],
    failed: ["kiosk.failed", "kiosk.collect_ask_staff"],
  };

  function renderAnswer() {
    if (!answer) return;
    var texts = TEXTS[answer.kind];
    var late = answer.kind === "not_ready" && answer.due && answer.due < localToday();
    $("answer").dataset.kind = answer.kind;
    $("a-code").textContent = t("kiosk.collect_code", { code: answer.code });
    $("a-text").textContent = t(texts[0]);
    $("a-date").hidden = !(answer.kind === "not_ready" && answer.due);
    $("a-date").textContent = t("kiosk.collect_due", { date: dateWords(answer.due) });
    // A promised day already past: no use coming back later, staff can say why.
    $("a-more").textContent = t(late ? "kiosk.collect_late" : texts[1]);
  }

  function showAnswer(kind, text, due) {
    answer = { kind: kind, code: text, due: due };
    renderAnswer();
    K.show("answer");
    var left = Math.max(6, K.data.return_after_s * 2); // a date to read: longer than a number
    $("a-count").textContent = "(" + left + ")";
    clearInterval(countdown);
    countdown = setInterval(function () {
      left -= 1;
      $("a-count").textContent = "(" + left + ")";
      if (left <= 0) K.reset();
    }, 1000);
  }

  function stop() {
    clearTimeout(idle);
    clearTimeout(retry);
    clearInterval(countdown);
    intent = null;
    answer = null;
    code = "";
    $("answer").dataset.kind = "";
    K.setOffline("collect", false);
    renderCode();
  }

  K.on("services", function (list) {
    returnService = list.filter(function (s) { return s.kind === "return"; })[0] || null;
    renderButton();
  });
  K.on("lang", function () {
    renderButton();
    renderAnswer();
    document.querySelectorAll("#c-keys [data-label]").forEach(function (b) {
      b.setAttribute("aria-label", t(b.dataset.label));
      if (b.dataset.key === "clear") b.textContent = t(b.dataset.label);
    });
  });
  K.on("reset", stop);

  $("collect-open").addEventListener("click", open);
  $("c-keys").addEventListener("click", function (ev) {
    var b = ev.target.closest("button.k-key");
    if (b) press(b.dataset.key);
  });
  $("c-find").addEventListener("click", function () { lookUp(code); });
  $("c-cancel").addEventListener("click", K.reset);
  $("a-ok").addEventListener("click", K.reset);

  // A scan counts on every screen but "issuing": the next citizen need not wait for the last
  // one's ticket or answer to time out.
  window.Wedge.attach({
    active: function () {
      return returnService !== null && intent === null && K.shown() !== "busy";
    },
    onCode: function (scanned) {
      clearInterval(countdown);
      lookUp(scanned);
    },
  });

  buildKeys();
  returnService = K.data.collect || null; // before the first refresh
  renderButton();
  renderCode();
})();
