/* Day view charts: arrivals vs served per hour, wait distribution, procedures, satisfaction, staffing. */
"use strict";
(function () {
  var root = document.getElementById("day");
  if (!root || !window.Chart) return;
  var OS = window.OS, P = OS.palette, date = root.dataset.date;
  // Strings come from the catalogue (server/translations), in the page's language.
  var t = window.I18n.t, bi = window.I18n.bi;
  OS.chartDefaults();
  var BUCKETS = [[0, 5], [5, 10], [10, 15], [15, 20], [20, 30], [30, 45], [45, 60], [60, Infinity]];

  function hoursChart(report) {
    var keys = report.hours.map(function (h) { return h.key; });
    new Chart(document.getElementById("c-hours"), {
      data: {
        labels: keys.map(function (k) { return k + "h"; }),
        datasets: [
          { type: "bar", label: bi("reports.arrivals"), data: report.hours.map(function (h) { return h.issued; }), backgroundColor: P.blue },
          { type: "bar", label: bi("reports.k_served"), data: report.hours.map(function (h) { return h.served; }), backgroundColor: P.green },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function waitsChart(tickets) {
    var counts = BUCKETS.map(function () { return 0; });
    tickets.forEach(function (t) {
      if (t.wait_s === null) return;
      var m = t.wait_s / 60;
      for (var i = 0; i < BUCKETS.length; i++) if (m >= BUCKETS[i][0] && m < BUCKETS[i][1]) { counts[i]++; break; }
    });
    new Chart(document.getElementById("c-waits"), {
      type: "bar",
      data: {
        labels: BUCKETS.map(function (b) { return b[1] === Infinity ? "≥ " + b[0] + "′" : b[0] + "–" + b[1] + "′"; }),
        datasets: [{ label: bi("reports.citizens"), data: counts, backgroundColor: BUCKETS.map(function (b) { return b[1] <= 15 ? P.green : b[1] <= 30 ? P.amber : P.red; }) }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { title: { display: true, text: bi("reports.wait_minutes") } } } },
    });
  }

  function servicesChart(report) {
    var s = report.services;
    new Chart(document.getElementById("c-services"), {
      type: "bar",
      data: {
        labels: s.map(function (m) { var n = m.name.split(" – ")[0]; return n.length > 18 ? n.slice(0, 17) + "…" : n; }),
        datasets: [
          { label: t("reports.c_wait_avg"), data: s.map(function (m) { return m.wait_avg_s === null ? 0 : +(m.wait_avg_s / 60).toFixed(1); }), backgroundColor: P.red },
          { label: t("reports.c_target"), data: s.map(function (m) { return (report.targets[m.key] || 0) / 60; }), backgroundColor: P.grey },
          { label: t("reports.c_service_avg"), data: s.map(function (m) { return m.service_avg_s === null ? 0 : +(m.service_avg_s / 60).toFixed(1); }), backgroundColor: P.teal },
        ],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
    });
  }

  function ratingsChart(report) {
    var r = report.office.ratings;
    new Chart(document.getElementById("c-ratings"), {
      type: "doughnut",
      data: {
        labels: [t("common.rating_4"), t("common.rating_3"), t("common.rating_2"), t("common.rating_1")],
        datasets: [{ data: [r["4"], r["3"], r["2"], r["1"]], backgroundColor: [P.green, "#7cb342", P.amber, P.red] }],
      },
      options: { plugins: { legend: { position: "right" } } },
    });
  }

  function staffingChart(st) {
    var canvas = document.getElementById("c-staffing");
    if (!canvas) return;
    new Chart(canvas, {
      data: {
        labels: st.hours.map(function (h) { return h.hour + "h"; }),
        datasets: [
          { type: "bar", label: bi("reports.chart_needed"), data: st.hours.map(function (h) { return h.needed; }), backgroundColor: P.amber },
          { type: "line", label: bi("reports.chart_open"), data: st.hours.map(function (h) { return h.actual; }), borderColor: P.blue, backgroundColor: P.blue, stepped: "middle" },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  Promise.all([
    OS.getJSON("/api/reports/daily?date=" + date),
    OS.getJSON("/api/tickets?date=" + date),
    OS.getJSON("/api/reports/staffing?date=" + date),
  ]).then(function (r) {
    hoursChart(r[0]);
    waitsChart(r[1].tickets);
    servicesChart(r[0]);
    ratingsChart(r[0]);
    staffingChart(r[2]);
    root.dataset.charts = "ready";
  }).catch(function (e) {
    root.dataset.charts = "error";
    root.insertBefore(OS.el("p", t("reports.charts_failed", { error: e.message }), "error"), root.firstChild);
  });
})();
