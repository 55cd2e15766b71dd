/* The admin pages that edit the office's configuration: office and hours, procedures,
   counters, notices, printer and voice, and the history of versions. */
"use strict";
(function () {
  const { t, say, api, el, clearErrors, showError, Config, field, move, configPage, pages } = window.Admin;


  function officePage() {
    configPage(() => {
      const box = document.getElementById("f-office");
      box.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
      box.append(
        field(t("admin.f_office_name"), "office.name"),
        field(t("admin.f_office_name_en"), "office.name_en"),
        field(t("admin.f_address"), "office.address"),
        field(t("admin.f_hotline"), "office.hotline"),
        field(t("admin.f_timezone"), "office.timezone"),
        field(t("admin.f_day_starts_at"), "office.day_starts_at", { type: "int", help: t("admin.day_starts_help") }),
        field(t("admin.f_closing_time"), "office.closing_time"),
        field(t("admin.f_enforce_hours"), "office.enforce_hours", { type: "bool" })
      );
      const hours = document.getElementById("f-hours");
      hours.querySelectorAll(":scope > :not(legend):not(p)").forEach((n) => n.remove());
      (Config.draft.services || []).forEach((s, i) => {
        hours.append(field(`${s.prefix} · ${s.name}`, `services[${i}].hours`, { type: "hours", rows: 2 }));
      });
    });
  }


  const NEW_PROCEDURE = { code: "", name: "", name_en: "", prefix: "", range_start: 1, range_end: 999,
    target_wait_min: 15, service_min: 10 };

  async function proceduresPage() {
    let known = {};
    const retiredBody = document.querySelector("#t-retired tbody");
    async function loadKnown() {
      const r = await api("GET", "/api/admin/procedures");
      known = {};
      (r.json.procedures || []).forEach((p) => (known[p.code] = p));
    }
    function drawRetired(form) {
      const live = new Set((Config.draft.services || []).map((s) => s.code));
      const retired = Object.values(known).filter((p) => !live.has(p.code));
      retiredBody.textContent = "";
      if (!retired.length) retiredBody.append(el("tr", null, el("td", { colspan: 4, cls: "muted", text: t("admin.none_retired") })));
      retired.forEach((p) => {
        retiredBody.append(el("tr", { cls: "retired" },
          el("td", { text: p.code }), el("td", { text: p.name }), el("td", { text: p.prefix }),
          el("td", null, el("button", { type: "button", text: t("admin.restore_procedure"), onclick: () =>
            form.restructure((d) => d.services.push({ code: p.code, name: p.name, name_en: p.name_en || "",
              prefix: p.prefix, range_start: p.range_start, range_end: p.range_end })) }))));
      });
    }
    const form = configPage((form) => {
      const body = form.querySelector("#t-procedures tbody");
      body.textContent = "";
      (Config.draft.services || []).forEach((s, i) => {
        const p = `services[${i}]`;
        const existing = Boolean(known[s.code]) && s.code !== "";
        const last = known[s.code] && known[s.code].last_today;
        body.append(el("tr", { "data-code": s.code },
          el("td", null, field(t("admin.f_code"), `${p}.code`, { label: false, readonly: existing })),
          el("td", null, field(t("admin.f_name"), `${p}.name`, { label: false })),
          el("td", null, field(t("admin.f_name_en"), `${p}.name_en`, { label: false })),
          el("td", null, field(t("admin.f_prefix"), `${p}.prefix`, { label: false })),
          el("td", null, field(t("admin.f_range_start"), `${p}.range_start`, { label: false, type: "int", placeholder: "1" })),
          el("td", null, field(t("admin.f_range_end"), `${p}.range_end`, { label: false, type: "int", placeholder: "999" })),
          el("td", null, field(t("admin.f_target_wait_min"), `${p}.target_wait_min`, { label: false, type: "int" })),
          el("td", null, field(t("admin.f_service_min"), `${p}.service_min`, { label: false, type: "int" })),
          el("td", { cls: "num", text: last ? t("admin.last_today", { n: last }) : "—" }),
          el("td", null, el("button", { type: "button", cls: "retire", text: t("admin.retire"),
            onclick: () => form.restructure((d) => {
              const code = d.services[i].code;
              d.services.splice(i, 1);
              (d.counters || []).forEach((c) => (c.services = (c.services || []).filter((x) => x !== code)));
            }) }))));
      });
      drawRetired(form);
    });
    document.getElementById("add-procedure").addEventListener("click", () => {
      form.restructure((d) => (d.services = [...(d.services || []), structuredClone(NEW_PROCEDURE)]));
      const codes = form.querySelectorAll("#t-procedures tbody tr:last-child input");
      if (codes[0]) codes[0].focus();
    });
    await loadKnown();
    const saveOld = Config.save.bind(Config);
    Config.save = async (f) => {
      const ok = await saveOld(f);
      if (ok) {
        await loadKnown();
        Config.render();
      }
      return ok;
    };
  }


  function countersPage() {
    const form = configPage((form) => {
      const box = form.querySelector("#counters");
      box.textContent = "";
      const services = Config.draft.services || [];
      (Config.draft.counters || []).forEach((c, i) => {
        const p = `counters[${i}]`;
        const saved = (Config.saved.counters || []).some((x) => x.number === c.number);
        const checks = el("div", { cls: "checks", role: "group", "data-field": `${p}.services`, "data-type": "checks",
          "data-order": JSON.stringify(c.services || []),
          "aria-label": t("admin.f_services"), tabindex: "-1" },
          services.map((s) => {
            const box = el("input", { type: "checkbox", value: s.code });
            box.checked = (c.services || []).includes(s.code);
            return el("label", { cls: "check" }, box, ` ${s.prefix} · ${s.name}`);
          }));
        box.append(el("fieldset", { cls: "counter-card", "data-counter": c.number },
          el("legend", { text: t("admin.counter_n", { n: c.number === undefined ? "?" : c.number }) }),
          saved ? null : field(t("admin.f_counter_number"), `${p}.number`, { type: "int" }),
          field(t("admin.f_counter_name"), `${p}.name`),
          el("p", { cls: "small", text: t("admin.f_services") }), checks,
          field(t("admin.f_closed"), `${p}.closed`, { type: "bool" })));
      });
    });
    document.getElementById("add-counter").addEventListener("click", () => {
      form.restructure((d) => {
        const next = Math.max(0, ...(d.counters || []).map((c) => Number(c.number) || 0)) + 1;
        d.counters = [...(d.counters || []), { number: next, name: t("admin.counter_n", { n: next }), services: [] }];
      });
    });
  }


  function itemList(form, listName, fields, fresh) {
    const box = form.querySelector(`#${listName}`);
    box.textContent = "";
    const list = Config.draft[listName] || [];
    list.forEach((item, i) => {
      const p = `${listName}[${i}]`;
      box.append(el("li", { cls: "item", "data-field": p, tabindex: "-1" },
        fields.map(([key, label, area]) => field(label, `${p}.${key}`, { area })),
        el("div", { cls: "item-actions" },
          el("button", { type: "button", cls: "up", text: "↑", "aria-label": t("admin.move_up"), disabled: i === 0,
            onclick: () => form.restructure((d) => move(d[listName], i, -1)) }),
          el("button", { type: "button", cls: "down", text: "↓", "aria-label": t("admin.move_down"),
            disabled: i === list.length - 1, onclick: () => form.restructure((d) => move(d[listName], i, 1)) }),
          el("button", { type: "button", cls: "remove", text: t("admin.remove"),
            onclick: () => form.restructure((d) => d[listName].splice(i, 1)) }))));
    });
    form.querySelector(`#add-${listName.slice(0, -1)}`).onclick = () =>
      form.restructure((d) => (d[listName] = [...(d[listName] || []), fresh()]));
  }

  function drawPreview(form) {
    Config.collect(form);
    const d = Config.draft;
    const box = document.getElementById("preview");
    box.textContent = "";
    (d.notices || []).forEach((n) => box.append(el("div", { cls: "p-notice" }, el("h3", { text: n.title }), el("p", { text: n.text || "" }))));
    const fees = (d.services || []).filter((s) => s.fee);
    if (fees.length) box.append(el("div", { cls: "p-notice" }, el("h3", { text: t("admin.h_fees") }),
      el("ul", null, fees.map((s) => el("li", null, el("strong", { text: `${s.name}: ` }), s.fee)))));
    if ((d.officials || []).length) box.append(el("div", { cls: "p-notice" }, el("h3", { text: t("admin.h_officials") }),
      el("ul", { cls: "p-officials" }, d.officials.map((o) => el("li", null, el("strong", { text: o.name }),
        ` – ${o.position || ""} – ${o.area || ""} `, el("span", { cls: "phone", text: o.phone || "" }))))));
  }

  function noticesPage() {
    const form = configPage((form) => {
      itemList(form, "notices", [["title", t("admin.f_title")], ["title_en", t("admin.f_title_en")],
        ["text", t("admin.f_text"), true], ["text_en", t("admin.f_text_en"), true]],
        () => ({ title: "", title_en: "", text: "", text_en: "" }));
      itemList(form, "officials", [["name", t("admin.f_official_name")], ["position", t("admin.f_position")],
        ["phone", t("admin.f_phone")], ["area", t("admin.f_area")]],
        () => ({ name: "", position: "", phone: "", area: "" }));
      const fees = form.querySelector("#fees");
      fees.textContent = "";
      (Config.draft.services || []).forEach((s, i) => {
        fees.append(field(`${s.prefix} · ${s.name}`, `services[${i}].fee`, { area: true }),
          field(`${s.prefix} · ${s.name} (EN)`, `services[${i}].fee_en`, { area: true }));
      });
      drawPreview(form);
    });
    form.addEventListener("input", () => drawPreview(form));
  }


  function playAll(urls) {
    let i = 0;
    const audio = new Audio();
    audio.addEventListener("ended", () => {
      i += 1;
      if (i < urls.length) {
        audio.src = urls[i];
        audio.play().catch(() => {});
      }
    });
    if (urls.length) {
      audio.src = urls[0];
      audio.play().catch(() => {});
    }
  }

  function printerVoicePage() {
    const choice = (list) => list.map((v) => [v, v]);
    configPage(() => {
      const p = document.getElementById("f-printer");
      p.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
      p.append(
        field(t("admin.f_printer_type"), "printer.type", { choices: choice(["usb", "network", "serial", "cups", "file", "none"]) }),
        field(t("admin.f_paper_mm"), "printer.paper_mm", { type: "int" }),
        field(t("admin.f_printer_path"), "printer.path"),
        field(t("admin.f_printer_host"), "printer.host"),
        field(t("admin.f_usb_vendor"), "printer.usb_vendor"),
        field(t("admin.f_usb_product"), "printer.usb_product"),
        field(t("admin.f_serial_device"), "printer.serial_device"),
        field(t("admin.f_cups_printer"), "printer.cups_printer"),
        field(t("admin.f_timeout_s"), "printer.timeout_s", { type: "float" })
      );
      const v = document.getElementById("f-voice");
      v.querySelectorAll(":scope > :not(legend)").forEach((n) => n.remove());
      v.append(
        field(t("admin.f_voice_enabled"), "voice.enabled", { type: "bool" }),
        field(t("admin.f_engines"), "voice.engines", { type: "list", help: t("admin.engines_help") }),
        field(t("admin.f_languages"), "voice.languages", { type: "list" }),
        field(t("admin.f_template_vi"), "voice.template_vi"),
        field(t("admin.f_template_en"), "voice.template_en"),
        field(t("admin.f_numbers"), "voice.numbers", { choices: choice(["digits", "words"]) }),
        field(t("admin.f_dialect"), "voice.dialect", { choices: choice(["north", "south"]) }),
        field(t("admin.f_repeat"), "voice.repeat", { type: "int" })
      );
    });
    const sayForm = document.getElementById("say");
    sayForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(sayForm);
      const r = await api("POST", "/api/admin/voice/say", {
        number: sayForm.number.value, counter: Number(sayForm.counter.value) });
      if (r.status !== 200) {
        const code = r.json.error && r.json.error.code;
        showError(sayForm, { ...r.json.error, field: code === "invalid_number" ? "number" : "counter" });
        return;
      }
      document.getElementById("say-text").textContent = r.json.text;
      playAll(r.json.audio || []);
    });
    const warm = document.getElementById("warm");
    const bar = document.getElementById("warm-bar");
    const state = document.getElementById("warm-state");
    async function poll() {
      const r = await api("GET", "/api/admin/voice/warm");
      const s = r.json;
      if (s.total) {
        bar.max = s.total;
        bar.value = s.done;
      }
      if (s.running) {
        state.textContent = t("admin.warming", { done: s.done, total: s.total });
        warm.disabled = true;
        setTimeout(poll, 500);
      } else {
        warm.disabled = false;
        if (s.error) state.textContent = s.error;
        else if (s.report) {
          bar.max = 1;
          bar.value = 1;
          state.textContent = t("admin.warmed", { needed: s.report.needed, missing: s.report.missing });
        }
      }
    }
    warm.addEventListener("click", async () => {
      const r = await api("POST", "/api/admin/voice/warm", {});
      if (r.status !== 202) say(r.json.error ? r.json.error.message : t("admin.failed"), "error");
      poll();
    });
    poll();
  }


  function changesText(v) {
    const c = v.changes || v.diff || "";
    if (Array.isArray(c)) return c.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("\n");
    return typeof c === "string" ? c : JSON.stringify(c, null, 1);
  }

  function when(at) {
    if (typeof at !== "number") return String(at || "").slice(0, 16).replace("T", " ");
    const d = new Date(at * 1000);
    return d.toLocaleString(I18n.lang === "en" ? "en-GB" : "vi-VN", { dateStyle: "short", timeStyle: "short" });
  }

  async function historyPage() {
    const tbody = document.querySelector("#t-versions tbody");
    const view = document.getElementById("v-body");
    const title = document.getElementById("v-title");
    async function draw() {
      const [list, now] = await Promise.all([api("GET", "/api/admin/config/versions"), api("GET", "/api/admin/config")]);
      if (list.status !== 200) {
        say((list.json.error && list.json.error.message) || t("admin.failed"), "error");
        return;
      }
      const current = now.json.version;
      tbody.textContent = "";
      const versions = list.json.versions || [];
      versions.forEach((v) => {
        const n = v.version !== undefined ? v.version : v.n;
        tbody.append(el("tr", { "data-version": n, cls: String(n) === String(current) ? "current" : "" },
          el("td", { cls: "num", text: n }), el("td", { text: when(v.at) }),
          el("td", { text: v.author || "—" }),
          el("td", null, el("pre", { cls: "diff", text: [v.reason, changesText(v)].filter(Boolean).join("\n") })),
          el("td", null,
            el("button", { type: "button", cls: "view", text: t("admin.view"), onclick: async () => {
              const r = await api("GET", `/api/admin/config/versions/${n}`);
              title.textContent = t("admin.version_n", { n });
              view.textContent = JSON.stringify(r.json.config || r.json, null, 2);
            } }),
            String(n) === String(current) ? el("span", { cls: "badge ok", text: t("admin.current") }) :
              el("button", { type: "button", cls: "restore", text: t("admin.restore"), onclick: async () => {
                if (!window.confirm(t("admin.restore_confirm", { n }))) return;
                const r = await api("POST", `/api/admin/config/versions/${n}/restore`, {}, { "If-Match": String(current) });
                if (r.status === 200 || r.status === 201) say(t("admin.restored", { n }), "note");
                else say(r.json.error ? r.json.error.message : t("admin.failed"), "error");
                draw();
              } }))));
      });
    }
    draw();
  }

  Object.assign(pages, { office: officePage, procedures: proceduresPage, counters: countersPage,
    notices: noticesPage, "printer-voice": printerVoicePage, history: historyPage });
})();
