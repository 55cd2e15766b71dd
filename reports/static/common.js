/* Shared helpers for the supervisor pages (no inline scripts: CSP script-src 'self'). */
"use strict";
(function () {
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (r) {
        if (!r.ok) throw new Error(url + ": HTTP " + r.status);
        return r.json();
      }
    );
  }
  function dur(s) {
    if (s === null || s === undefined || s === "") return "—";
    s = Math.round(Number(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(x).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function pct(v) {
    return v === null || v === undefined ? "—" : Number(v).toFixed(1).replace(".", ",") + "\u00a0%";
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = typeof c === "object" && c !== null && c.nodeType ? c : el("td", c);
      if (!(typeof c === "object" && c !== null && c.nodeType)) {
        if (typeof c === "number" || /^[\d:,. \u00a0%]+$/.test(String(c))) td.className = "num";
      }
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(tbody, rows, cols, empty) {
    tbody.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr"), td = el("td", empty || "—", "muted");
      td.colSpan = cols;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    rows.forEach(function (r) { tbody.appendChild(row(r)); });
  }
  var palette = { red: "#b0191e", blue: "#1f5fa8", green: "#2e7d32", amber: "#e0a100", grey: "#8a8a8a", teal: "#00838f" };
  function chartDefaults() {
    if (!window.Chart) return;
    Chart.defaults.font.family = '"DejaVu Sans", "Noto Sans", Arial, sans-serif';
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;
  }
  window.OS = { getJSON: getJSON, dur: dur, pct: pct, el: el, row: row, fill: fill, palette: palette, chartDefaults: chartDefaults };
})();
