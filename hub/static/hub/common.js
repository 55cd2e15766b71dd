// What the hub's pages share: the signed-in token, fetch, downloads, sortable tables, SSE.
window.Hub = (function () {
  "use strict";
  const lang = document.body.dataset.lang;
  const S = JSON.parse(document.getElementById("strings").textContent)[lang];
  const token = sessionStorage.getItem("hubToken");
  const auth = { headers: { Authorization: "Bearer " + token } };
  const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Ho_Chi_Minh" });
  const fmt = (v, min) => (v === null || v === undefined ? "–" : min ? (v / 60).toFixed(1) : String(v));
  const when = (iso) => (iso ? new Date(iso).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { timeZone: "Asia/Ho_Chi_Minh" }) : "–");

  async function get(url) {
    const r = await fetch(url, auth);
    if (r.status === 401) { sessionStorage.removeItem("hubToken"); location.href = "/?lang=" + lang; return null; }
    return r.ok ? r.json() : null;
  }

  // A plain link cannot carry the Bearer token: fetch the file, hand it over as a blob.
  async function download(url, name) {
    const r = await fetch(url, auth);
    if (!r.ok) return;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob());
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // Sort rows by a heading's data-key; nulls last; a click on the same heading turns it round.
  function sortable(table, sort, draw) {
    const heads = [...table.querySelectorAll("th[data-key]")];
    const mark = () => heads.forEach((th) => th.setAttribute("aria-sort", th.dataset.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none"));
    heads.forEach((th) => th.addEventListener("click", () => {
      sort.dir = sort.key === th.dataset.key ? -sort.dir : (th.dataset.type === "text" ? 1 : -1);
      sort.key = th.dataset.key;
      draw();
    }));
    return (rows) => {
      mark();
      return rows.slice().sort((a, b) => {
        const x = a[sort.key], y = b[sort.key];
        if (x === y) return a.code < b.code ? -1 : 1;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
    };
  }

  // Each stored batch (or a change of an office's devices) arrives as `changed`; a burst gives one reload.
  function live(reload) {
    const es = new EventSource("/api/stream?token=" + encodeURIComponent(token));
    const state = document.getElementById("live-state");
    let pending = null;
    es.onopen = () => { if (state) { state.textContent = S["hub.live"]; state.className = "on"; } };
    es.onerror = () => { if (state) { state.textContent = S["hub.offline"]; state.className = "off"; } };
    es.addEventListener("changed", () => {
      if (!pending) pending = setTimeout(() => { pending = null; reload(); }, 300);
    });
  }

  if (!token) location.href = "/?lang=" + lang;
  return { lang, S, token, today, fmt, when, get, download, row, link, sortable, live };
})();
