// The province dashboard: league table (sortable), ranking chart, refreshed by SSE.
(function () {
  "use strict";
  const lang = document.body.dataset.lang;
  const S = JSON.parse(document.getElementById("strings").textContent)[lang];
  const $ = (sel) => document.querySelector(sel);
  let token = sessionStorage.getItem("hubToken");
  let rows = [];
  let staleAfter = 900;
  let sort = { key: "within_target_pct", dir: -1 };
  let chart = null;
  let pending = null;

  const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Ho_Chi_Minh" });
  const fmt = (v, min) => (v === null || v === undefined ? "–" : min ? (v / 60).toFixed(1) : String(v));

  function value(r, key) {
    if (key === "waiting") return r.live.waiting ?? null;
    if (key === "last_contact") return r.live.last_contact || "";
    return r[key];
  }

  function render() {
    const sorted = rows.slice().sort((a, b) => {
      const x = value(a, sort.key), y = value(b, sort.key);
      if (x === y) return a.code < b.code ? -1 : 1;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sort.dir;
    });
    const heads = [...document.querySelectorAll("#league th")];
    heads.forEach((th) => th.setAttribute("aria-sort", th.dataset.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none"));
    const body = $("#league tbody");
    body.replaceChildren(...sorted.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.code = r.code;
      for (const th of heads) {
        const td = document.createElement("td");
        let v = value(r, th.dataset.key);
        if (th.dataset.key === "last_contact" && v) v = new Date(v).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB");
        if (th.dataset.key === "name") {
          const a = document.createElement("a");
          a.href = `/offices/${encodeURIComponent(r.code)}?lang=${lang}`;
          a.textContent = v;
          td.appendChild(a);
        } else {
          td.textContent = fmt(v, th.dataset.min);
        }
        tr.appendChild(td);
      }
      return tr;
    }));
    $("#empty").hidden = rows.length > 0;
    drawChart();
    drawDevices();
  }

  // Offices not heard from, and every health check of an office that is not fine.
  function drawDevices() {
    const stale = Date.now() - staleAfter * 1000;
    const bad = [];
    for (const r of rows) {
      const seen = r.live.last_contact ? Date.parse(r.live.last_contact) : 0;
      if (seen < stale) bad.push([r.name, "hub", S["hub.stale"].replace("{minutes}", Math.round(staleAfter / 60))]);
      for (const [name, status] of Object.entries(r.live.devices || {})) {
        if (!["ok", "disabled", "not_configured"].includes(status)) bad.push([r.name, name, status]);
      }
    }
    $("#devices tbody").replaceChildren(...bad.map((cells) => {
      const tr = document.createElement("tr");
      for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
      return tr;
    }));
    $("#devices-ok").hidden = bad.length > 0;
  }

  function drawChart() {
    if (!window.Chart) return;
    const ranked = rows.filter((r) => r.within_target_pct !== null)
      .sort((a, b) => b.within_target_pct - a.within_target_pct);
    const data = { labels: ranked.map((r) => r.name), datasets: [{ label: S["hub.within_target"], data: ranked.map((r) => r.within_target_pct), backgroundColor: "#2f6f9f" }] };
    if (chart) { chart.data = data; chart.update("none"); return; }
    chart = new Chart($("#ranking"), { type: "bar", data, options: { indexAxis: "y", animation: false, maintainAspectRatio: false, scales: { x: { min: 0, max: 100 } } } });
  }

  function period() {
    const f = new FormData($("#period"));
    return new URLSearchParams({ from: f.get("from") || today(), to: f.get("to") || today() });
  }

  // A plain link cannot carry the Bearer token: fetch the file, hand it over as a blob.
  async function download(kind) {
    const q = period();
    q.set("format", kind);
    q.set("lang", lang);
    const r = await fetch("/api/offices?" + q, { headers: { Authorization: "Bearer " + token } });
    if (!r.ok) return;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob());
    a.download = `don-vi-${q.get("from")}-${q.get("to")}.${kind}`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  async function load() {
    const q = period();
    const r = await fetch("/api/offices?" + q, { headers: { Authorization: "Bearer " + token } });
    if (r.status === 401) { sessionStorage.removeItem("hubToken"); token = null; showLogin(); return; }
    const body = await r.json();
    rows = body.offices;
    staleAfter = body.stale_after_s;
    render();
  }

  function live() {
    const es = new EventSource("/api/stream?token=" + encodeURIComponent(token));
    const state = $("#live-state");
    es.onopen = () => { state.textContent = S["hub.live"]; state.className = "on"; };
    es.onerror = () => { state.textContent = S["hub.offline"]; state.className = "off"; };
    es.addEventListener("changed", () => {
      // A burst of batches (an office catching up) gives one reload, not one per batch.
      if (!pending) pending = setTimeout(() => { pending = null; load(); }, 300);
    });
  }

  function showBoard() {
    $("#login").hidden = true;
    $("#board").hidden = false;
    const f = $("#period");
    f.elements.from.value = f.elements.to.value = today();
    load();
    live();
  }

  function showLogin() { $("#login").hidden = false; $("#board").hidden = true; }

  $("#login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: f.get("name"), password: f.get("password") }) });
    if (!r.ok) { $("#login-error").hidden = false; return; }
    token = (await r.json()).token;
    sessionStorage.setItem("hubToken", token);
    showBoard();
  });
  $("#period").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("#csv").addEventListener("click", () => download("csv"));
  $("#xlsx").addEventListener("click", () => download("xlsx"));
  $("#today").addEventListener("click", () => { const f = $("#period"); f.elements.from.value = f.elements.to.value = today(); load(); });
  document.querySelectorAll("#league th").forEach((th) => th.addEventListener("click", () => {
    sort = { key: th.dataset.key, dir: sort.key === th.dataset.key ? -sort.dir : (th.dataset.type === "text" ? 1 : -1) };
    render();
  }));
  if (token) showBoard(); else showLogin();
})();
