// Clerk console: buttons call /api/counters/N/*, the view refreshes from /counter/api/state
// whenever /display reports a change. One request at a time: buttons are disabled while a
// request is in flight, and Next sends the ticket the screen shows, so a double click
// can never finish a ticket the clerk has not seen.
(function () {
  "use strict";

  const root = document.getElementById("console");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let services = JSON.parse(root.dataset.services);
  let counters = JSON.parse(root.dataset.counters);
  let serviceName = Object.fromEntries(services.map((s) => [s.code, s.name]));
  const STORE_KEY = "onestop.counter";
  const $ = (id) => document.getElementById(id);

  // Strings come from the catalogue (server/translations); bi() gives "Việt / English".
  // (I18n.t, not t: "t" is the shown ticket in this file.)
  const I18n = window.I18n;
  const bi = I18n.bi;
  const STATUS = { called: "counter.state_called", serving: "counter.state_serving" };

  let number = pickCounter();
  let state = null; // last answer of /counter/api/state
  let clockOffset = 0; // server time - local time, ms
  let busy = false;
  let refreshTimer = null;
  let refreshSeq = 0;

  function pickCounter() {
    const fromUrl = new URLSearchParams(location.search).get("counter");
    const saved = fromUrl || localStorage.getItem(STORE_KEY);
    const known = counters.map((c) => String(c.number));
    const n = known.includes(saved) ? saved : known[0];
    localStorage.setItem(STORE_KEY, n);
    const select = $("counter-select");
    select.value = n;
    return Number(n);
  }

  $("counter-select").addEventListener("change", (e) => {
    number = Number(e.target.value);
    localStorage.setItem(STORE_KEY, String(number));
    state = null;
    say("", "");
    render();
    signIn().then(refresh);
  });

  // The server lets a clerk act only on the counter they signed in at: say where we sit.
  async function signIn() {
    const asked = number;
    try {
      const r = await fetch(`/api/counters/${asked}/sign-in`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: "",
      });
      if (r.status === 401) return toLogin();
      if (!r.ok) say(`${(await errorOf(r)).message}`, "error");
      else await r.text(); // read to the end, so the request is over
    } catch (e) {
      say(bi("counter.unreachable", { error: e.message }), "error");
    }
  }

  // A button or badge as the page writes it: "Việt <small>/ English</small> <kbd>P</kbd>".
  function label(node, key, kbd, before) {
    const parts = [document.createTextNode((before || "") + I18n.t(key))];
    if (I18n.lang !== "en") parts.push(" ", el("small", "", "/ " + I18n.t(key, null, "en")));
    if (kbd) parts.push(" ", el("kbd", "", kbd));
    node.replaceChildren(...parts);
  }

  function say(text, kind) {
    const m = $("message");
    m.textContent = text;
    m.className = "message " + (kind || "");
  }

  function fmtDuration(s) {
    if (s == null || !isFinite(s)) return "—";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function serverNow() {
    return Date.now() + clockOffset;
  }

  function secondsBetween(a, b) {
    return (Date.parse(b) - Date.parse(a)) / 1000;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function render() {
    const c = state && state.counter;
    const t = c && c.ticket;
    $("t-number").textContent = t ? t.number : "—";
    $("t-service").textContent = t ? serviceName[t.service] || t.service : "";
    $("t-status").textContent = t ? (STATUS[t.status] ? bi(STATUS[t.status]) : t.status) : bi("counter.no_ticket");
    $("ticket").classList.toggle("priority", Boolean(t && t.priority));
    $("ticket").classList.toggle("empty", !t);
    const paused = c && c.status === "paused";
    $("counter-status").textContent = c ? bi(paused ? "counter.paused" : "counter.open") : "";
    $("counter-status").className = "status " + (paused ? "paused" : "open");
    const pause = $("b-pause");
    pause.dataset.action = paused ? "resume" : "pause";
    label(pause, paused ? "counter.resume" : "counter.pause", "P");
    const st = t ? t.status : null;
    const can = {
      next: Boolean(c) && !paused,
      recall: st === "called",
      start: st === "called",
      finish: st === "called" || st === "serving",
      "no-show": st === "called",
      transfer: st === "called" || st === "serving",
      pause: Boolean(c),
      resume: Boolean(c),
    };
    document.querySelectorAll(".buttons button").forEach((b) => {
      b.disabled = busy || !can[b.dataset.action];
    });
    renderQueue();
    renderMine();
    tick();
  }

  function tick() {
    const t = state && state.counter && state.counter.ticket;
    if (!t) {
      $("t-wait").textContent = "—";
      $("t-at").textContent = "—";
      return;
    }
    const now = new Date(serverNow()).toISOString();
    $("t-wait").textContent = fmtDuration(secondsBetween(t.issued_at, t.called_at || now));
    $("t-at").textContent = t.called_at ? fmtDuration(secondsBetween(t.called_at, now)) : "—";
    document.querySelectorAll("#w-list [data-issued]").forEach((e) => {
      e.textContent = fmtDuration(secondsBetween(e.dataset.issued, now));
    });
  }

  function renderQueue() {
    const list = $("w-list");
    const counts = $("w-counts");
    list.replaceChildren();
    counts.replaceChildren();
    if (!state) return;
    let total = 0;
    for (const [code, n] of Object.entries(state.waiting_counts)) {
      total += n;
      const li = el("li", n ? "" : "zero");
      li.append(el("span", "", serviceName[code] || code), el("b", "", String(n)));
      counts.append(li);
    }
    $("w-total").textContent = String(total);
    for (const t of state.waiting) {
      const li = el("li", t.priority ? "priority" : "");
      li.append(el("b", "num", t.number));
      li.append(el("span", "svc", serviceName[t.service] || t.service));
      if (t.priority) li.append(el("span", "badge", I18n.t("common.priority")));
      const w = el("span", "waited");
      w.dataset.issued = t.issued_at;
      li.append(w);
      list.append(li);
    }
    $("w-empty").hidden = state.waiting.length > 0;
  }

  function renderMine() {
    if (!state) return;
    $("m-served").textContent = String(state.mine.served);
    $("m-noshow").textContent = String(state.mine.no_show);
    const avg = state.mine.service_avg_s;
    $("m-avg").textContent = avg == null ? "—" : fmtDuration(avg);
  }

  async function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    const mine = ++refreshSeq;
    const asked = number;
    try {
      const r = await fetch(`/counter/api/state?counter=${asked}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (r.status === 401) return toLogin();
      if (!r.ok) throw new Error((await errorOf(r)).message);
      const data = await r.json();
      // A later refresh or another counter picked meanwhile wins.
      if (mine !== refreshSeq || asked !== number) return;
      state = data;
      clockOffset = Date.parse(data.now) - Date.now();
      render();
    } catch (e) {
      say(I18n.t("counter.load_failed", { error: e.message }), "error");
    }
  }

  // A new configuration version: procedure and counter names and the pickers, in place.
  async function reconfigure(payload) {
    try {
      const r = await fetch("/counter/api/office", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (r.status === 401) return toLogin();
      if (!r.ok) throw new Error((await errorOf(r)).message);
      const fresh = await r.json();
      services = fresh.services;
      counters = fresh.counters;
      serviceName = Object.fromEntries(services.map((s) => [s.code, s.name]));
      const options = (list, value, text) => list.map((x) => {
        const o = el("option", "", text(x));
        o.value = String(value(x));
        return o;
      });
      const select = $("counter-select");
      select.replaceChildren(...options(counters, (c) => c.number, (c) => c.name));
      if (counters.some((c) => c.number === number)) select.value = String(number);
      $("tr-service").replaceChildren(...options(services, (s) => s.code, (s) => `${s.prefix} · ${s.name}`));
      root.dataset.configVersion = String((payload && payload.version) || 0);
      refresh();
    } catch (e) {
      setTimeout(() => reconfigure(payload), 2000);
    }
  }

  function refreshSoon() {
    if (!refreshTimer) refreshTimer = setTimeout(refresh, 120);
  }

  function toLogin() {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  }

  async function errorOf(r) {
    try {
      const body = await r.json();
      return body.error || { code: String(r.status), message: r.statusText };
    } catch (_) {
      return { code: String(r.status), message: r.statusText };
    }
  }

  const DONE_TEXT = {
    recall: "counter.done_recall",
    start: "counter.done_start",
    finish: "counter.done_finish",
    "no-show": "counter.done_no_show",
    transfer: "counter.done_transfer",
  };

  async function act(action, body) {
    if (busy) return;
    const shown = state && state.counter && state.counter.ticket;
    if (action === "next") body = { current: shown ? shown.id : null };
    busy = true;
    render();
    say(bi("counter.sending"), "busy");
    try {
      const r = await fetch(`/api/counters/${number}/${action}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: body ? JSON.stringify(body) : "",
      });
      if (r.status === 401) return toLogin();
      if (r.status === 204) {
        say(bi("counter.nobody"), "info");
      } else if (r.ok) {
        const data = await r.json();
        const t = data.ticket;
        if (action === "next") say(bi("counter.called", { number: t.number }), "ok");
        else if (action === "pause") say(bi("counter.paused_msg"), "info");
        else if (action === "resume") say(bi("counter.resumed"), "ok");
        else say(I18n.t(DONE_TEXT[action], { number: t.number }), "ok");
      } else {
        const err = await errorOf(r);
        if (err.code === "stale_request") {
          say(bi("counter.stale"), "warn");
        } else if (err.code === "counter_paused") {
          say(bi("counter.is_paused"), "warn");
        } else if (err.code === "csrf_failed") {
          say(bi("counter.csrf"), "error");
        } else {
          say(`${err.message} (${err.code})`, "error");
        }
      }
    } catch (e) {
      say(bi("counter.unreachable", { error: e.message }), "error");
    } finally {
      busy = false;
      await refresh();
    }
  }

  document.querySelectorAll(".buttons button").forEach((b) => {
    b.addEventListener("click", () => {
      if (b.dataset.action === "transfer") openTransfer();
      else act(b.dataset.action);
    });
  });

  const dialog = $("transfer-dialog");
  function openTransfer() {
    const t = state && state.counter && state.counter.ticket;
    if (!t || busy) return;
    $("tr-number").textContent = t.number;
    const select = $("tr-service");
    select.value = services.some((s) => s.code !== t.service) ? services.find((s) => s.code !== t.service).code : t.service;
    dialog.showModal();
    select.focus();
  }
  $("tr-cancel").addEventListener("click", () => dialog.close("cancel"));
  $("tr-service").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      $("transfer-form").requestSubmit();
    }
  });
  $("transfer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const code = $("tr-service").value;
    dialog.close("ok");
    if (code) act("transfer", { service: code });
  });

  document.addEventListener("keydown", (e) => {
    if (e.repeat || e.ctrlKey || e.altKey || e.metaKey || dialog.open) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    const key = e.key.toLowerCase();
    const b = document.querySelector(`.buttons button[data-key="${key}"]`);
    if (!b) return;
    e.preventDefault();
    if (!b.disabled) b.click();
  });

  function setLink(ok) {
    const l = $("link");
    l.dataset.state = ok ? "ok" : "down";
    label(l, ok ? "counter.live" : "counter.reconnecting", null, ok ? "● " : "");
  }

  const RATINGS = ["", "common.rating_1", "common.rating_2", "common.rating_3", "common.rating_4"];
  const ALERT_TEXT = {
    print_failed: (p) => I18n.t("counter.alert_print", { number: p.number || p.ticket_id || "?", message: p.message || p.reason || "" }),
    voice_gap: (p) => I18n.t("counter.alert_voice", { message: p.message || p.reason || p.text || "" }),
    clock_stepped: (p) => I18n.clockStepped(p, p.at),
    display_lost: (p) => I18n.t("counter.alert_display", { name: p.name, address: p.address, since: (p.last_seen || "").slice(11, 16) }),
    ticket_rated: (p) => I18n.t("counter.alert_rated", {
      number: p.ticket.number,
      rating: RATINGS[p.ticket.rating] ? I18n.t(RATINGS[p.ticket.rating]).toLowerCase() : p.ticket.rating,
    }),
  };

  function addAlert(name, payload) {
    const list = $("alerts");
    const none = list.querySelector(".none");
    if (none) none.remove();
    const fmt = ALERT_TEXT[name];
    let text;
    try {
      text = fmt ? fmt(payload) : `${name}: ${JSON.stringify(payload).slice(0, 120)}`;
    } catch (_) {
      text = name;
    }
    const li = el("li", name === "ticket_rated" ? "info" : "warn");
    li.append(el("time", "", new Date().toTimeString().slice(0, 5)), document.createTextNode(" " + text));
    list.prepend(li);
    while (list.children.length > 6) list.lastChild.remove();
  }

  // Supervisors also get the lobby displays and kiosks the server sees.
  function renderDevices(payload) {
    const box = $("devices");
    const list = $("d-list");
    box.hidden = false;
    list.replaceChildren();
    for (const d of payload.devices || []) {
      const li = el("li", d.fault ? "fault" : d.connected ? "ok" : "off");
      const kind = I18n.t(d.kind === "display" ? "common.display" : "common.kiosk");
      const since = (d.connected ? d.since : d.last_seen || "").slice(11, 16);
      const what = I18n.t(d.fault ? "counter.dev_fault" : d.connected ? "counter.dev_online" : "counter.dev_off");
      const line = I18n.t("counter.dev_since", { what: what, since: since });
      li.append(el("b", "", `${kind} ${d.name}`), document.createTextNode(` · ${d.address} · ${line}`));
      list.append(li);
    }
    if (!list.children.length) list.append(el("li", "none", I18n.t("counter.no_devices")));
  }

  function connect() {
    if (typeof io !== "function") {
      setLink(false);
      return;
    }
    const opts = { transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 8000 };
    const display = io("/display", { ...opts, auth: { kind: "console", name: `counter-${number}` } });
    display.on("connect", () => setLink(true));
    display.on("disconnect", (reason) => {
      setLink(false);
      if (reason === "io server disconnect") display.connect();
    });
    display.on("snapshot", refreshSoon);
    for (const ev of ["ticket_called", "queue_changed", "ticket_issued"]) display.on(ev, refreshSoon);
    display.on("config_changed", reconfigure);

    const staff = io("/staff", opts);
    staff.on("presence", renderDevices);
    staff.onAny((name, payload) => {
      if (name === "hello" || name === "presence") return;
      if (name === "ticket_rated" && payload.ticket && payload.ticket.counter !== number) return;
      addAlert(name, payload || {});
    });
  }

  render();
  signIn().then(refresh);
  connect();
  setInterval(tick, 1000);
})();
