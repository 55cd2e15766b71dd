/* 30-day trend of the headline figures. */
"use strict";
(function () {
  var root = document.getElementById("trend");
  if (!root || !window.Chart) return;
  var OS = window.OS, P = OS.palette;
  // Strings come from the catalogue (server/translations), in the page's language.
  var tr = window.I18n.t, bi = window.I18n.bi; // (not "t": that is the trend rows here)
  OS.chartDefaults();
  OS.getJSON("/api/reports/trend?days=30&end=" + root.dataset.end).then(function (data) {
    var t = data.trend, labels = t.map(function (d) { return d.date.slice(8, 10) + "/" + d.date.slice(5, 7); });
    function col(k, f) { return t.map(function (d) { return d[k] === null ? null : f ? f(d[k]) : d[k]; }); }
    function min(v) { return +(v / 60).toFixed(1); }
    new Chart(document.getElementById("c-trend-volume"), {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: tr("reports.m_issued"), data: col("issued"), backgroundColor: P.blue },
        { label: tr("reports.m_served"), data: col("served"), backgroundColor: P.green },
      ] },
      options: { scales: { y: { beginAtZero: true } } },
    });
    new Chart(document.getElementById("c-trend-share"), {
      type: "line",
      data: { labels: labels, datasets: [
        { label: tr("reports.t_within"), data: col("within_target_pct"), borderColor: P.red, backgroundColor: P.red },
        { label: tr("reports.t_satisfied"), data: col("satisfied_pct"), borderColor: P.green, backgroundColor: P.green },
      ] },
      options: { scales: { y: { min: 0, max: 100 } }, spanGaps: true },
    });
    new Chart(document.getElementById("c-trend-wait"), {
      type: "line",
      data: { labels: labels, datasets: [
        { label: tr("reports.m_wait_avg"), data: col("wait_avg_s", min), borderColor: P.red, backgroundColor: P.red },
        { label: tr("reports.t_median"), data: col("wait_p50_s", min), borderColor: P.amber, backgroundColor: P.amber },
        { label: tr("reports.m_wait_p90"), data: col("wait_p90_s", min), borderColor: P.grey, backgroundColor: P.grey },
      ] },
      options: { scales: { y: { beginAtZero: true } }, spanGaps: true },
    });
    var tbody = document.querySelector("#t-trend tbody");
    OS.fill(tbody, t.slice().reverse().map(function (d) {
      var a = OS.el("a", d.date);
      a.href = "/supervisor/day?date=" + d.date + (root.dataset.langArg ? "&lang=" + root.dataset.langArg : "");
      var td = document.createElement("td");
      td.appendChild(a);
      return [td, d.issued, d.served, d.no_show, OS.dur(d.wait_avg_s), OS.dur(d.wait_p90_s), OS.dur(d.service_avg_s), OS.pct(d.within_target_pct), OS.pct(d.satisfied_pct)];
    }), 9, bi("reports.no_data_yet"));
    root.dataset.charts = "ready";
  }).catch(function (e) {
    root.insertBefore(OS.el("p", tr("reports.trend_failed", { error: e.message }), "error"), root.firstChild);
  });
})();
