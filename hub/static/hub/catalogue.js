// The province's procedure catalogue (edited with `flask --app hub.wsgi catalogue`).
(function () {
  "use strict";
  const H = window.Hub;
  const $ = (sel) => document.querySelector(sel);

  async function load() {
    const body = await H.get("/api/catalogue");
    if (!body) return;
    $("#version").textContent = H.S["hub.catalogue_version"].replace("{version}", body.version);
    $("#catalogue tbody").replaceChildren(...body.procedures.map((p) => H.row([p.code, p.name, p.name_en, String(p.target_wait_min),
      p.retired ? H.S["hub.retired"] : "", H.link(`/procedures/${encodeURIComponent(p.code)}?lang=${H.lang}`, H.S["hub.compare"])])));
  }

  load();
})();
