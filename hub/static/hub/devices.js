// The device-health board: offline kiosks, printers and screens, clock steps, silent offices.
(function () {
  "use strict";
  const H = window.Hub;
  const $ = (sel) => document.querySelector(sel);
  const FINE = new Set(["ok", "away", "disabled", "not_configured"]);
  let body = null;

  const kind = (k) => H.S["hub.kind_" + k] || k;
  const status = (s) => H.S["hub.st_" + s] || s;
  const officeLink = (o) => H.link(`/offices/${encodeURIComponent(o.code)}?lang=${H.lang}`, o.name);

  // Silence is judged against this browser's clock as time passes: no event marks it.
  function draw() {
    if (!body) return;
    const limit = body.stale_after_s * 1000;
    const minutes = Math.round(body.stale_after_s / 60);
    const stale = body.offices.filter((o) => !o.last_contact || Date.now() - Date.parse(o.last_contact) > limit);
    $("#stale tbody").replaceChildren(...stale.map((o) => H.row([officeLink(o),
      o.last_contact ? `${H.when(o.last_contact)} (${H.S["hub.stale"].replace("{minutes}", minutes)})` : H.S["hub.never"]])));
    const faults = [];
    for (const o of body.offices) {
      for (const d of o.devices) {
        if (!FINE.has(d.status)) faults.push(H.row([officeLink(o), kind(d.kind), d.name, status(d.status) + (d.paper ? ` (${d.paper})` : "") + (d.last_error ? ` – ${d.last_error}` : ""), H.when(d.last_seen)]));
      }
    }
    $("#faults tbody").replaceChildren(...faults);
    $("#all-ok").hidden = faults.length > 0;
    const steps = [];
    for (const o of body.offices) {
      for (const s of o.clock_steps) steps.push(H.row([officeLink(o), H.S["hub.clock_step"].replace("{seconds}", s.step_s).replace("{at}", s.new_wall || "")]));
    }
    $("#steps tbody").replaceChildren(...steps);
  }

  async function load() {
    const got = await H.get("/api/devices");
    if (got) { body = got; draw(); }
  }

  load();
  H.live(load);
  setInterval(draw, 30000);
})();
