/* 30-day trend of the headline figures. */
"use strict";
(function () {
  var root = document.getElementById("trend");
  if (!root || !window.Chart) return;
  var OS = window.OS, P = OS.palette;
  OS.chartDefaults();
  OS.getJSON("/api/reports/trend?days=30&end=" + root.dataset.end).then(function (data) {
    var t = data.trend, labels = t.map(function (d) { return d.date.slice(8, 10) + "/" + d.date.slice(5, 7); });
    function col(k, f) { return t.map(function (d) { return d[k] === null ? null : f ? f(d[k]) : d[k]; }); }
    function min(v) { return +(v / 60).toFixed(1); }
    new Chart(document.getElementById("c-trend-volume"), {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "Cấp số", data: col("issued"), backgroundColor: P.blue },
        { label: "Phục vụ", data: col("served"), backgroundColor: P.green },
      ] },
      options: { scales: { y: { beginAtZero: true } } },
    });
    new Chart(document.getElementById("c-trend-share"), {
      type: "line",
      data: { labels: labels, datasets: [
        { label: "Đúng hạn %", data: col("within_target_pct"), borderColor: P.red, backgroundColor: P.red },
        { label: "Hài lòng %", data: col("satisfied_pct"), borderColor: P.green, backgroundColor: P.green },
      ] },
      options: { scales: { y: { min: 0, max: 100 } }, spanGaps: true },
    });
    new Chart(document.getElementById("c-trend-wait"), {
      type: "line",
      data: { labels: labels, datasets: [
        { label: "Chờ TB", data: col("wait_avg_s", min), borderColor: P.red, backgroundColor: P.red },
        { label: "Chờ trung vị", data: col("wait_p50_s", min), borderColor: P.amber, backgroundColor: P.amber },
        { label: "Chờ P90", data: col("wait_p90_s", min), borderColor: P.grey, backgroundColor: P.grey },
      ] },
      options: { scales: { y: { beginAtZero: true } }, spanGaps: true },
    });
    var tbody = document.querySelector("#t-trend tbody");
    OS.fill(tbody, t.slice().reverse().map(function (d) {
      var a = OS.el("a", d.date);
      a.href = "/supervisor/day?date=" + d.date;
      var td = document.createElement("td");
      td.appendChild(a);
      return [td, d.issued, d.served, d.no_show, OS.dur(d.wait_avg_s), OS.dur(d.wait_p90_s), OS.dur(d.service_avg_s), OS.pct(d.within_target_pct), OS.pct(d.satisfied_pct)];
    }), 9, "Chưa có dữ liệu / No data yet");
    root.dataset.charts = "ready";
  }).catch(function (e) {
    root.insertBefore(OS.el("p", "Không tải được số liệu: " + e.message, "error"), root.firstChild);
  });
})();
