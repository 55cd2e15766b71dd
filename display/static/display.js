// Lobby display. The state comes from the /display namespace: a `snapshot` on connect,
// then events each carrying the next `seq`. A gap in seq or a reconnect asks for a fresh
// snapshot; until it comes the last good state stays on screen. Calls are shown one after
// another in the order they arrive (none skipped) and handed to the announcer in order.
(function () {
  "use strict";

  const screenEl = document.getElementById("screen");
  const cfg = JSON.parse(screenEl.dataset.config);
  const opts = cfg.display;
  const $ = (id) => document.getElementById(id);
  let serviceOf, counterOf, onlyCounters, onlyServices;
  function indexConfig() {
    serviceOf = Object.fromEntries(cfg.services.map((s) => [s.code, s]));
    counterOf = Object.fromEntries(cfg.counters.map((c) => [c.number, c]));
    onlyCounters = new Set(cfg.filter.counters);
    onlyServices = new Set(cfg.filter.services);
  }
  indexConfig();
  // Strings come from the catalogue (server/translations); bi() gives "Việt / English".
  const { t, bi } = window.I18n;
  const REPLAY_WINDOW_MS = 120000; // calls missed while offline are still shown if this recent

  const state = { seq: null, counters: [], waiting: {}, recent: [] };
  const flashQueue = [];
  let flashing = false;
  let clockOffset = 0; // server - local, from the last snapshot
  let staleSnapshotAsks = 0;


  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function keepCounter(n) {
    return !onlyCounters.size || onlyCounters.has(n);
  }
  function keepService(code) {
    return !onlyServices.size || onlyServices.has(code);
  }
  function keepCall(call) {
    return keepCounter(call.counter) && keepService(call.ticket.service);
  }
  function callKey(call) {
    return `${call.ticket.id || call.ticket.number}|${call.counter}|${call.at}`;
  }
  function hhmm(iso) {
    return iso ? iso.slice(11, 16) : "";
  }
  function counterName(n) {
    return (counterOf[n] && counterOf[n].name) || t("common.counter_n", { n: n });
  }

  // -- rendering -------------------------------------------------------------------------

  function renderCounters() {
    const ul = $("counters");
    ul.replaceChildren();
    const shown = state.counters.filter((c) => keepCounter(c.number)).length;
    ul.className = "counters " + (shown <= 6 ? "wide" : "narrow");
    for (const c of state.counters) {
      if (!keepCounter(c.number)) continue;
      const shownTicket = c.ticket && keepService(c.ticket.service) ? c.ticket : null;
      const li = el("li", c.status === "paused" ? "paused" : shownTicket ? "busy" : "free");
      li.dataset.counter = String(c.number);
      li.append(el("span", "cn", String(c.number)));
      const body = el("span", "cb");
      const label = c.status === "paused" ? t("display.paused", { name: c.name }) : c.name;
      body.append(el("span", "cname", label), el("b", "cnum", shownTicket ? shownTicket.number : "—"));
      li.append(body);
      ul.append(li);
    }
  }

  function renderRecent() {
    const tb = $("recent");
    tb.replaceChildren();
    const rows = state.recent.filter(keepCall).slice(0, opts.recent_calls);
    for (const call of rows) {
      const tr = el("tr");
      tr.append(el("td", "num", call.ticket.number), el("td", "ctr", String(call.counter)), el("td", "at", hhmm(call.at)));
      tb.append(tr);
    }
    if (!rows.length) {
      const tr = el("tr", "none");
      const td = el("td", "", t("display.no_calls"));
      td.colSpan = 3;
      tr.append(td);
      tb.append(tr);
    }
  }

  function renderWaiting() {
    const ul = $("waiting");
    ul.replaceChildren();
    for (const s of cfg.services) {
      if (!keepService(s.code)) continue;
      const n = state.waiting[s.code] || 0;
      const li = el("li", n ? "" : "zero");
      li.dataset.service = s.code;
      li.append(el("span", "pfx", s.prefix), el("span", "sname", s.name), el("b", "n", String(n)));
      ul.append(li);
    }
  }

  function renderAll() {
    renderCounters();
    renderRecent();
    renderWaiting();
    screenEl.dataset.seq = String(state.seq);
    if (!flashing && !flashQueue.length) showSteady();
  }

  // The hero keeps the newest call in view when nothing is flashing.
  function showSteady() {
    const last = state.recent.find(keepCall);
    if (last) paintHero(last, false);
  }

  function paintHero(call, recall) {
    $("hero-number").textContent = call.ticket.number;
    $("hero-counter").textContent = String(call.counter);
    const svc = serviceOf[call.ticket.service];
    $("hero-sub").textContent = `${counterName(call.counter)}${svc ? " · " + svc.name : ""}${recall ? " · " + bi("display.recall") : ""}`;
    $("hero").classList.remove("idle");
  }

  function enqueueFlash(call, recall) {
    flashQueue.push({ call, recall });
    screenEl.dataset.flashQueue = String(flashQueue.length);
    if (!flashing) nextFlash();
  }

  function nextFlash() {
    const item = flashQueue.shift();
    screenEl.dataset.flashQueue = String(flashQueue.length);
    const hero = $("hero");
    if (!item) {
      flashing = false;
      hero.classList.remove("flash");
      return;
    }
    flashing = true;
    paintHero(item.call, item.recall);
    hero.classList.remove("flash");
    void hero.offsetWidth; // restart the CSS animation
    hero.classList.add("flash");
    screenEl.dataset.shown = String(Number(screenEl.dataset.shown || 0) + 1);
    // With more calls queued each still gets a few seconds, so none is skipped.
    const full = opts.flash_s * 1000;
    setTimeout(nextFlash, flashQueue.length ? Math.max(3000, full / 2) : full);
  }

  function announce(call, recall) {
    try {
      if (window.OnestopAnnouncer) window.OnestopAnnouncer.enqueue(call, { recall: recall });
    } catch (e) {
      console.error("announcer failed", e); // the screen must keep working without voice
    }
  }

  function newCall(call, recall) {
    if (!keepCall(call)) return;
    enqueueFlash(call, recall);
    announce(call, recall);
  }

  // -- state from the server -------------------------------------------------------------

  function applySnapshot(snap) {
    if (state.seq !== null && snap.seq < state.seq && staleSnapshotAsks < 3) {
      // Raced with a newer event on this socket: ask again rather than step back.
      staleSnapshotAsks += 1;
      socket.emit("get_snapshot");
      return;
    }
    staleSnapshotAsks = 0;
    if (snap.now) clockOffset = Date.parse(snap.now) - Date.now();
    const hadState = state.seq !== null;
    const known = new Set(state.recent.map(callKey));
    state.seq = snap.seq;
    state.counters = snap.counters;
    state.waiting = snap.waiting;
    state.recent = snap.recent;
    if (hadState) {
      // Calls made while we were away or lost in a gap: show (and say) the recent ones,
      // oldest first. Older ones only enter the list: announcing them now would mislead.
      const now = Date.now() + clockOffset;
      const missed = snap.recent
        .filter((c) => !known.has(callKey(c)))
        .filter((c) => now - Date.parse(c.at) <= REPLAY_WINDOW_MS)
        .reverse();
      for (const c of missed) newCall(c, false);
    }
    renderAll();
  }

  // True when the event should be applied; asks for a snapshot on a gap.
  function inSequence(payload) {
    if (state.seq === null) return false; // the snapshot sent on connect is on its way
    if (payload.seq <= state.seq) return false; // already part of the state
    const gap = payload.seq !== state.seq + 1;
    state.seq = payload.seq;
    if (gap) socket.emit("get_snapshot");
    return true;
  }

  function onChange(payload) {
    if (!inSequence(payload)) return false;
    if (payload.counters) state.counters = payload.counters;
    if (payload.waiting) state.waiting = payload.waiting;
    return true;
  }

  // -- connection ------------------------------------------------------------------------

  function setLink(ok) {
    $("link").hidden = ok;
    document.body.classList.toggle("offline", !ok);
  }

  const socket =
    typeof io === "function"
      ? io("/display", {
          transports: ["websocket"],
          // No name claimed here: an enrolled TV is known by its HttpOnly cookie, which the
          // browser sends with the handshake, so no token lives in this script.
          reconnectionDelay: 500,
          reconnectionDelayMax: 10000,
          randomizationFactor: 0.5,
        })
      : null;

  if (socket) {
    socket.on("connect", () => setLink(true));
    socket.on("disconnect", (reason) => {
      setLink(false);
      // The server closed us on purpose (restart): the client does not retry by itself.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("connect_error", () => setLink(false));
    socket.on("snapshot", applySnapshot);
    socket.on("ticket_issued", (p) => {
      if (onChange(p)) renderAll();
    });
    socket.on("queue_changed", (p) => {
      if (onChange(p)) renderAll();
    });
    socket.on("config_changed", (p) => reconfigure(p && p.version));
    socket.on("ticket_called", (p) => {
      if (!onChange(p)) return;
      if (!p.recall) {
        state.recent = [p.call, ...state.recent.filter((c) => callKey(c) !== callKey(p.call))].slice(0, 20);
      }
      newCall(p.call, p.recall);
      renderAll();
    });
    setInterval(() => socket.connected && socket.emit("heartbeat"), 20000);
  } else {
    setLink(false);
  }

  // -- clock and notices -----------------------------------------------------------------

  // The office's wall clock, whatever zone the TV itself is set to.
  const DAYS = {
    Sun: "days.sun_long", Mon: "days.mon_long", Tue: "days.tue_long", Wed: "days.wed_long",
    Thu: "days.thu_long", Fri: "days.fri_long", Sat: "days.sat_long",
  };
  let clockFormat;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: cfg.office.timezone, weekday: "short", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
  } catch (_) {
    clockFormat = new Intl.DateTimeFormat("en-GB", { weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }
  function tickClock() {
    const p = Object.fromEntries(clockFormat.formatToParts(new Date(Date.now() + clockOffset)).map((x) => [x.type, x.value]));
    $("clock-time").textContent = `${p.hour}:${p.minute}:${p.second}`;
    $("clock-date").textContent = `${DAYS[p.weekday] ? t(DAYS[p.weekday]) : p.weekday}, ${p.day}/${p.month}/${p.year}`;
  }

  // Pages of the notice panel: each notice, then fees and officials a few rows at a time.
  function noticePages() {
    const pages = [];
    const chunks = (rows, n) => Array.from({ length: Math.ceil(rows.length / n) }, (_, i) => rows.slice(i * n, i * n + n));
    for (const n of cfg.notices) pages.push({ title: n.title, title_en: n.title_en, text: n.text, text_en: n.text_en });
    const fees = cfg.services.filter((s) => s.fee && keepService(s.code)).map((s) => [`${s.prefix} · ${s.name}`, s.fee]);
    for (const rows of chunks(fees, 3)) pages.push({ title: t("display.fees", null, "vi"), title_en: t("display.fees", null, "en"), rows });
    const officials = cfg.officials.map((o) => [`${o.name}`, `${o.position}${o.area ? " · " + o.area : ""}`, o.phone ? `☎ ${o.phone}` : ""]);
    for (const rows of chunks(officials, 3)) pages.push({ title: t("display.officials", null, "vi"), title_en: t("display.officials", null, "en"), rows, cls: "people" });
    return pages;
  }

  let pages = noticePages();
  let pageIndex = 0;
  function showNotice() {
    const box = $("notice");
    box.replaceChildren();
    if (!pages.length) return;
    const p = pages[pageIndex % pages.length];
    pageIndex += 1;
    const h = el("h3", "", p.title);
    if (p.title_en) h.append(" ", el("small", "", "/ " + p.title_en));
    box.append(h);
    if (p.rows) {
      const table = el("table", p.cls || "fees");
      for (const cells of p.rows) {
        const tr = el("tr");
        cells.forEach((c, i) => tr.append(el(i ? "td" : "th", "", c)));
        table.append(tr);
      }
      box.append(table);
    } else {
      box.append(el("p", "", p.text));
      if (p.text_en) box.append(el("p", "en", p.text_en));
    }
  }

  function fillTicker() {
    const parts = [];
    if (cfg.office.hotline) parts.push(`${bi("common.hotline")}: ${cfg.office.hotline}`);
    for (const o of cfg.officials) parts.push(`${o.name} (${o.position}): ${o.phone}`);
    for (const s of cfg.services) if (s.fee && keepService(s.code)) parts.push(`${s.name}: ${s.fee}`);
    if (cfg.office.address) parts.push(cfg.office.address);
    const text = parts.join("   ◆   ");
    const track = $("ticker");
    track.replaceChildren(el("span", "", text), el("span", "", text)); // two copies loop seamlessly
    track.style.animationDuration = `${Math.max(30, Math.round(text.length / 6))}s`;
  }

  // A new configuration version: procedures, counters, notices and officials again, in
  // place (no reload: the calls on screen and the announcer's queue stay).
  function reconfigure(version) {
    const q = cfg.name ? `?name=${encodeURIComponent(cfg.name)}` : "";
    fetch(`/display/config.json${q}`, { cache: "no-store" })
      .then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.json();
      })
      .then((fresh) => {
        Object.assign(cfg, fresh);
        Object.assign(opts, fresh.display);
        indexConfig();
        const office = document.querySelector(".top .office");
        office.replaceChildren(el("div", "name", cfg.office.name));
        if (cfg.office.name_en) office.append(el("div", "name-en", cfg.office.name_en));
        pages = noticePages();
        fillTicker();
        if (socket) socket.emit("get_snapshot"); // counters and lines as the new office has them
        renderAll();
        screenEl.dataset.configVersion = String(version || 0);
      })
      .catch(() => setTimeout(() => reconfigure(version), 2000));
  }

  tickClock();
  setInterval(tickClock, 1000);
  showNotice();
  setInterval(showNotice, Math.max(3, opts.notice_rotate_s) * 1000);
  fillTicker();
  renderAll();
})();
