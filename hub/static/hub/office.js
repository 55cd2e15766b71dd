// One office on the hub: a day's figures by procedure and counter, and its last 30 days.
(function () {
  "use strict";
  const lang = document.body.dataset.lang;
  const code = document.body.dataset.code;
  const S = JSON.parse(document.getElementById("strings").textContent)[lang];
  const $ = (sel) => document.querySelector(sel);
  const token = sessionStorage.getItem("hubToken");
  const auth = { headers: { Authorization: "Bearer " + token } };
  const min = (v) => (v === null || v === undefined ? "–" : (v / 60).toFixed(1));
  const val = (v) => (v === null || v === undefined ? "–" : String(v));
  let chart = null;

  const row = Hub.row; // hub/common.js, loaded before this script

  // A procedure's name leads to it compared across offices, over the same day.
  function compareLink(key, date) {
    const a = document.createElement("a");
    a.href = `/procedures/${encodeURIComponent(key)}?lang=${lang}&from=${date}&to=${date}`;
    a.textContent = key;
    return a;
  }

  async function download(kind) {
    const date = new FormData($("#period")).get("date");
    const r = await fetch(`/api/offices/${encodeURIComponent(code)}/daily?date=${date}&format=${kind}&lang=${lang}`, auth);
    if (!r.ok) return;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob());
    a.download = `${code}-${date}.${kind}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function day() {
    const date = new FormData($("#period")).get("date");
    const r = await fetch(`/api/offices/${encodeURIComponent(code)}/daily?date=${date}`, auth);
    if (!r.ok) { if (r.status === 401) location.href = "/"; return; }
    const d = await r.json();
    const o = d.office;
    $("#figures tbody").replaceChildren(row([val(o.issued), val(o.served), min(o.wait_p50_s), min(o.wait_p90_s), val(o.within_target_pct), val(o.satisfied_pct)]));
    for (const scope of ["services", "counters"]) {
      $(`#${scope} tbody`).replaceChildren(...d[scope].map((m) => row([scope === "services" ? compareLink(m.key, date) : m.key, val(m.issued), val(m.served), min(m.wait_p50_s), val(m.within_target_pct)])));
    }
  }

  async function trend() {
    const r = await fetch(`/api/offices/${encodeURIComponent(code)}/trend`, auth);
    if (!r.ok) return;
    const t = (await r.json()).trend;
    const data = { labels: t.map((d) => d.date), datasets: [
      { label: S["hub.issued"], data: t.map((d) => d.issued), yAxisID: "y", backgroundColor: "#9fb8cc", type: "bar" },
      { label: S["hub.within_target"], data: t.map((d) => d.within_target_pct), yAxisID: "pct", borderColor: "#2f6f9f", type: "line" },
    ] };
    if (chart) { chart.data = data; chart.update("none"); return; }
    chart = new Chart($("#trend"), { data, options: { animation: false, maintainAspectRatio: false, scales: { pct: { position: "right", min: 0, max: 100 } } } });
  }

  async function name() {
    const r = await fetch("/api/offices", auth);
    if (!r.ok) return;
    const o = (await r.json()).offices.find((x) => x.code === code);
    if (o) { $("#office-name").textContent = S["hub.office_page"].replace("{name}", o.name); document.title = o.name; }
  }

  // Every kiosk, screen and check of this office as its last sync told it.
  async function devices() {
    const r = await fetch("/api/devices", auth);
    if (!r.ok) return;
    const o = (await r.json()).offices.find((x) => x.code === code);
    if (!o) return;
    const when = (iso) => (iso ? new Date(iso).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { timeZone: "Asia/Ho_Chi_Minh" }) : "–");
    $("#office-devices tbody").replaceChildren(...o.devices.map((d) => row([S["hub.kind_" + d.kind] || d.kind, d.name,
      (S["hub.st_" + d.status] || d.status) + (d.paper ? ` (${d.paper})` : "") + (d.last_error ? ` – ${d.last_error}` : ""), when(d.last_seen)])));
  }

  if (!token) { location.href = "/"; return; }
  $("#period").elements.date.value = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Ho_Chi_Minh" });
  $("#period").addEventListener("submit", (ev) => { ev.preventDefault(); day(); });
  $("#day-xlsx").addEventListener("click", () => download("xlsx"));
  $("#day-csv").addEventListener("click", () => download("csv"));
  name(); day(); trend(); devices();
})();
