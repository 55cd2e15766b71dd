// One procedure across offices: sortable table, bar chart, CSV/XLSX, refreshed by SSE.
(function () {
  "use strict";
  const H = window.Hub;
  const $ = (sel) => document.querySelector(sel);
  const form = $("#period");
  let rows = [];
  let chart = null;
  const sorter = H.sortable($("#compare"), { key: "within_target_pct", dir: -1 }, draw);

  const code = () => form.elements.code.value;
  function query(extra) {
    const q = new URLSearchParams({ from: form.elements.from.value || H.today(), to: form.elements.to.value || H.today(), lang: H.lang, ...extra });
    return `/api/procedures/${encodeURIComponent(code())}?` + q;
  }

  function draw() {
    const heads = [...document.querySelectorAll("#compare th")];
    $("#compare tbody").replaceChildren(...sorter(rows).map((r) => {
      const tr = H.row(heads.map((th) => th.dataset.key === "name"
        ? H.link(`/offices/${encodeURIComponent(r.code)}?lang=${H.lang}`, r.name)
        : H.fmt(r[th.dataset.key], th.dataset.min)));
      tr.dataset.code = r.code;
      return tr;
    }));
    $("#empty").hidden = rows.length > 0;
    if (!window.Chart) return;
    const ranked = rows.filter((r) => r.within_target_pct !== null).sort((a, b) => b.within_target_pct - a.within_target_pct);
    const data = { labels: ranked.map((r) => r.name), datasets: [{ label: H.S["hub.within_target"], data: ranked.map((r) => r.within_target_pct), backgroundColor: "#2f6f9f" }] };
    if (chart) { chart.data = data; chart.update("none"); return; }
    chart = new Chart($("#chart"), { type: "bar", data, options: { indexAxis: "y", animation: false, maintainAspectRatio: false, scales: { x: { min: 0, max: 100 } } } });
  }

  async function load() {
    const body = await H.get(query({}));
    if (!body) return;
    rows = body.offices;
    const p = body.procedure;
    $("#title").textContent = H.S["hub.compare_title"].replace("{name}", (H.lang === "en" && p.name_en) || p.name || p.code);
    history.replaceState(null, "", `/procedures/${encodeURIComponent(p.code)}?lang=${H.lang}&from=${body.from}&to=${body.to}`);
    draw();
  }

  async function choices() {
    const cat = await H.get("/api/catalogue");
    const select = form.elements.code;
    const have = new Set([...select.options].map((o) => o.value));
    for (const p of cat ? cat.procedures : []) {
      if (have.has(p.code)) { select.querySelector(`option[value="${p.code}"]`).textContent = `${p.code} – ${p.name}`; continue; }
      const o = document.createElement("option");
      o.value = p.code;
      o.textContent = `${p.code} – ${p.name}`;
      select.appendChild(o);
    }
    if (!select.value && select.options.length) select.selectedIndex = 0;
  }

  const params = new URLSearchParams(location.search);
  form.elements.from.value = params.get("from") || H.today();
  form.elements.to.value = params.get("to") || H.today();
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  form.elements.code.addEventListener("change", load);
  for (const kind of ["csv", "xlsx"]) {
    $("#" + kind).addEventListener("click", () => H.download(query({ format: kind }),
      `thu-tuc-${code()}-${form.elements.from.value}-${form.elements.to.value}.${kind}`));
  }
  choices().then(() => { if (code()) load(); });
  H.live(() => { if (code()) load(); });
})();
