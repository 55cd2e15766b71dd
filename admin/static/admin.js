/* The admin pages: forms over GET/PUT /api/admin/config and the finer /api/admin routes.
   No inline scripts (CSP script-src 'self'); strings from the catalogue (I18n). */
"use strict";
(function () {
  const root = document.getElementById("admin");
  const pageName = root.dataset.page;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const t = (k, p) => I18n.t(k, p);
  const msgBox = document.getElementById("message");

  function say(text, kind) {
    msgBox.textContent = text || "";
    msgBox.className = kind || "";
  }

  async function api(method, url, data, headers) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = csrf;
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data || {});
    }
    Object.assign(opts.headers, headers || {});
    let r;
    try {
      r = await fetch(url, opts);
    } catch (e) {
      return { status: 0, json: { error: { code: "offline", message: t("admin.offline") } } };
    }
    let json = {};
    try {
      json = await r.json();
    } catch (e) {
      json = {};
    }
    return { status: r.status, json, headers: r.headers };
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "cls") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid);
    return e;
  }

  // --- errors next to their field ------------------------------------------------------

  function clearErrors(scope) {
    (scope || document).querySelectorAll(".field-error").forEach((n) => n.remove());
    (scope || document).querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  // The field named by the server (e.g. services[2].prefix), or the nearest enclosing one.
  function fieldNode(scope, field) {
    let f = byIndex(field || "");
    while (f) {
      const node = scope.querySelector(`[data-field="${CSS.escape(f)}"]`);
      if (node) return node;
      f = f.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      if (f === field) break;
    }
    return null;
  }

  // The model names some items by their key (services.cutru.range_start): the draft's index.
  function byIndex(field) {
    const m = /^(services|counters)(?:\.([^.[\]]+)|\[(?:code|number)=([^\]]+)\])\.(.+)$/.exec(field);
    if (!m || !Config.draft) return field;
    const key = m[1] === "services" ? "code" : "number";
    const id = m[2] !== undefined ? m[2] : m[3];
    const i = (Config.draft[m[1]] || []).findIndex((x) => String(x[key]) === id);
    return i < 0 ? field : `${m[1]}[${i}].${m[4]}`;
  }

  function showError(scope, err) {
    const node = err && err.field ? fieldNode(scope, err.field) : null;
    if (!node) {
      const text = (err && err.message) || t("admin.failed");
      say(text, "error");
      return;
    }
    node.setAttribute("aria-invalid", "true");
    // Beside its field the reason alone reads best (the message repeats the field's path).
    const note = el("span", { cls: "field-error error", role: "alert", text: err.reason || err.message });
    node.insertAdjacentElement("afterend", note);
    node.focus && node.focus();
    say(t("admin.fix_field"), "error");
  }

  // --- the config draft: paths such as services[2].prefix --------------------------------

  function parsePath(path) {
    const out = [];
    path.replace(/([^.[\]]+)|\[(\d+)\]/g, (m, name, index) => {
      out.push(index !== undefined ? Number(index) : name);
    });
    return out;
  }

  function getPath(obj, path) {
    return parsePath(path).reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
  }

  function setPath(obj, path, value) {
    const keys = parsePath(path);
    let o = obj;
    keys.slice(0, -1).forEach((k, i) => {
      if (o[k] === undefined) o[k] = typeof keys[i + 1] === "number" ? [] : {};
      o = o[k];
    });
    const last = keys[keys.length - 1];
    if (value === undefined) delete o[last];
    else o[last] = value;
  }

  const HOURS_DAY = /^\s*([a-z]+)\s*[:=]\s*(.*)$/;

  function hoursText(hours) {
    return Object.entries(hours || {})
      .map(([day, spans]) => `${day}: ${(spans || []).join(", ")}`)
      .join("\n");
  }

  function parseHours(text) {
    const out = {};
    for (const line of text.split("\n")) {
      const m = HOURS_DAY.exec(line);
      if (m) out[m[1]] = m[2].split(",").map((s) => s.trim()).filter(Boolean);
      else if (line.trim()) out[line.trim()] = []; // the server names the bad day
    }
    return out;
  }

  function readValue(node) {
    const type = node.dataset.type || "text";
    if (type === "bool") return node.checked;
    if (type === "checks") {
      const ticked = [...node.querySelectorAll("input[type=checkbox]:checked")].map((c) =>
        c.dataset.int ? Number(c.value) : c.value
      );
      // The order they had (a counter's procedures are in the order it prefers), new ones last.
      const before = JSON.parse(node.dataset.order || "[]").filter((v) => ticked.includes(v));
      return [...before, ...ticked.filter((v) => !before.includes(v))];
    }
    const v = node.value;
    if (type === "int" || type === "float") {
      if (v.trim() === "") return undefined;
      const n = Number(v);
      return Number.isFinite(n) ? n : v; // not a number: the server says why, at the field
    }
    if (type === "list") return v.split(",").map((s) => s.trim()).filter(Boolean);
    if (type === "hours") return parseHours(v);
    return v;
  }

  const Config = {
    version: null,
    saved: null,
    draft: null,
    render: () => {},

    async load() {
      const r = await api("GET", "/api/admin/config");
      if (r.status !== 200) {
        say((r.json.error && r.json.error.message) || t("admin.failed"), "error");
        return false;
      }
      this.version = r.json.version;
      this.saved = r.json.config;
      this.draft = structuredClone(r.json.config);
      this.render();
      return true;
    },

    // The inputs' values into the draft (before a structural change and before saving).
    collect(form) {
      form.querySelectorAll("[data-field]").forEach((node) => {
        if (node.dataset.readonly || !node.dataset.type) return; // anchors of errors hold no value
        const path = node.dataset.field;
        let value = readValue(node);
        // An empty optional text the saved config does not have stays absent.
        // An empty text or an unticked box the saved config does not have stays absent
        // (its default), so a save changes only what the admin changed.
        if ((value === "" || value === false) && getPath(this.saved, path) === undefined) value = undefined;
        setPath(this.draft, path, value);
      });
    },

    async save(form, reason) {
      this.collect(form);
      clearErrors(form);
      say(t("admin.saving"));
      const r = await api("PUT", "/api/admin/config", { config: this.draft, reason: reason || pageName },
        { "If-Match": String(this.version) });
      if (r.status === 200) {
        say(t("admin.saved", { version: r.json.version }), "note");
        const note = msgBox.textContent;
        await this.load();
        say(note, "note");
        return true;
      }
      if (r.status === 409) {
        say(t("admin.stale"), "error");
        await this.load();
        say(t("admin.stale"), "error");
        return false;
      }
      showError(form, r.json.error);
      return false;
    },
  };

  // A labelled input bound to a config path.
  function field(label, path, opts) {
    opts = opts || {};
    const value = getPath(Config.draft, path);
    const type = opts.type || "text";
    let input;
    if (type === "bool") {
      input = el("input", { type: "checkbox", "data-field": path, "data-type": "bool" });
      input.checked = Boolean(value);
      return el("label", { cls: "check" }, input, " ", label);
    }
    if (opts.choices) {
      input = el("select", { "data-field": path, "data-type": type },
        opts.choices.map(([v, text]) => el("option", { value: v, text })));
      input.value = value === undefined ? opts.choices[0][0] : String(value);
    } else if (type === "hours" || opts.area) {
      input = el("textarea", { "data-field": path, "data-type": type, rows: opts.rows || 2 });
      input.value = type === "hours" ? hoursText(value) : value === undefined ? "" : String(value);
    } else {
      const html = type === "int" || type === "float" ? "number" : "text";
      input = el("input", { type: html, "data-field": path, "data-type": type,
        step: type === "float" ? "any" : null, readonly: opts.readonly, placeholder: opts.placeholder, "data-readonly": opts.readonly ? "1" : null });
      input.value = value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value);
    }
    if (opts.label === false) {
      input.setAttribute("aria-label", label);
      return input;
    }
    return el("label", null, el("span", { text: label }), input, opts.help ? el("small", { text: opts.help }) : null);
  }

  function move(list, i, by) {
    const j = i + by;
    if (j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j], list[i]];
  }

  function configPage(render) {
    const form = document.getElementById("config-form");
    Config.render = () => {
      clearErrors(form);
      render(form);
    };
    // Structural changes (add, remove, move) keep what was typed first.
    form.restructure = (fn) => {
      Config.collect(form);
      fn(Config.draft);
      Config.render();
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      Config.save(form);
    });
    Config.load();
    return form;
  }

  // --- office and hours ----------------------------------------------------------------

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

  // --- procedures ----------------------------------------------------------------------

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

  // --- counters ------------------------------------------------------------------------

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

  // --- notices, officials, fees and the lobby preview ------------------------------------

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

  // --- printer and voice -----------------------------------------------------------------

  function printerTestButton() {
    const b = document.getElementById("printer-test");
    if (!b) return;
    b.addEventListener("click", async () => {
      b.disabled = true;
      say(t("admin.printing"));
      const r = await api("POST", "/api/admin/printer/test", {});
      b.disabled = false;
      if (r.status === 200) say(t("admin.printed", { ms: r.json.ms }), "note");
      else say(r.json.error ? r.json.error.message : t("admin.failed"), "error");
    });
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

  // --- users ---------------------------------------------------------------------------

  const USER_FIELDS = { invalid_name: "name", user_exists: "name", weak_password: "password",
    invalid_password: "password", invalid_role: "role", invalid_counters: "counters" };
  const ROLES = ["clerk", "supervisor", "admin"];

  function roleSelect(value, extra) {
    const s = el("select", Object.assign({ "aria-label": t("admin.f_role") }, extra || {}),
      ROLES.map((r) => el("option", { value: r, text: t(`admin.role_${r}`) })));
    s.value = value;
    return s;
  }

  function counterChecks(counters, chosen, attrs) {
    return el("div", Object.assign({ cls: "checks", role: "group", "data-type": "checks", tabindex: "-1" }, attrs || {}),
      counters.map((c) => {
        const box = el("input", { type: "checkbox", value: c.number, "data-int": "1" });
        box.checked = chosen.includes(c.number);
        return el("label", { cls: "check" }, box, ` ${c.number}`);
      }));
  }

  async function usersPage() {
    const counters = ((await api("GET", "/api/counters")).json.counters || []).map((c) => ({ number: c.number, name: c.name }));
    const tbody = document.querySelector("#t-users tbody");
    const addForm = document.getElementById("add-user");
    addForm.role.replaceWith(roleSelect("clerk", { name: "role", "data-field": "role" }));
    addForm.querySelector('[data-field="counters"]').replaceWith(
      counterChecks(counters, [], { "data-field": "counters", "aria-label": t("admin.f_counters") }));

    async function send(scope, url, data) {
      clearErrors(scope);
      const r = await api("POST", url, data);
      if (r.status < 300) return r;
      const err = r.json.error || {};
      showError(scope, { ...err, field: err.field || USER_FIELDS[err.code] });
      return null;
    }

    async function draw() {
      const r = await api("GET", "/api/admin/users");
      tbody.textContent = "";
      (r.json.users || []).forEach((u) => {
        const url = `/api/admin/users/${encodeURIComponent(u.name)}`;
        const tr = el("tr", { "data-user": u.name, cls: u.active ? "" : "retired" });
        const role = roleSelect(u.role, { "data-field": "role" });
        const checks = counterChecks(counters, u.counters, { "data-field": "counters", "aria-label": t("admin.f_counters") });
        const pw = el("input", { type: "password", "data-field": "password", autocomplete: "new-password",
          "aria-label": t("admin.new_password"), placeholder: t("admin.new_password") });
        tr.append(
          el("td", { text: u.name }),
          el("td", null, role),
          el("td", null, el("span", { cls: u.active ? "badge ok" : "badge bad", text: t(u.active ? "admin.active" : "admin.disabled") })),
          el("td", null, checks, el("small", { text: u.counters.length ? "" : t("admin.any_counter") })),
          el("td", null, pw, el("button", { type: "button", cls: "set-password", text: t("admin.reset_password"), onclick: async () => {
            if (await send(tr, `${url}/password`, { password: pw.value })) { pw.value = ""; say(t("admin.password_set", { name: u.name }), "note"); }
          } })),
          el("td", null,
            el("button", { type: "button", cls: "save-user", text: t("admin.save"), onclick: async () => {
              if (await send(tr, url, { role: role.value, counters: readValue(checks) })) { say(t("admin.user_saved", { name: u.name }), "note"); draw(); }
            } }),
            el("button", { type: "button", cls: "toggle-user", text: t(u.active ? "admin.disable" : "admin.enable"), onclick: async () => {
              if (await send(tr, url, { active: !u.active })) { say(t("admin.user_saved", { name: u.name }), "note"); draw(); }
            } })));
        tbody.append(tr);
      });
    }
    addForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = { name: addForm.name.value.trim(), role: addForm.querySelector('[data-field="role"]').value,
        password: addForm.password.value, counters: readValue(addForm.querySelector('[data-field="counters"]')) };
      if (await send(addForm, "/api/admin/users", data)) {
        say(t("admin.user_added", { name: data.name }), "note");
        addForm.reset();
        draw();
      }
    });
    draw();
  }

  // --- devices -------------------------------------------------------------------------

  const DEVICE_FIELDS = { invalid_name: "name", device_exists: "name", invalid_kind: "kind", invalid_counter: "counter",
    invalid_counters: "counter" };

  async function devicesPage() {
    const counters = (await api("GET", "/api/counters")).json.counters || [];
    const form = document.getElementById("enrol");
    counters.forEach((c) => form.counter.append(el("option", { value: c.number, text: c.name || c.number })));
    const tbody = document.querySelector("#t-devices tbody");
    async function draw() {
      const r = await api("GET", "/api/admin/devices");
      tbody.textContent = "";
      const list = r.json.devices || [];
      if (!list.length) tbody.append(el("tr", null, el("td", { colspan: 6, cls: "muted", text: t("admin.no_devices") })));
      list.forEach((d) => {
        const presence = d.revoked_at ? t("admin.revoked_at", { at: d.revoked_at.slice(0, 16).replace("T", " ") })
          : d.connected ? t("admin.connected") : d.last_seen ? t("admin.last_seen", { at: d.last_seen.slice(11, 16) }) : t("admin.never_seen");
        tbody.append(el("tr", { "data-device": d.name, cls: d.revoked_at ? "retired" : "" },
          el("td", { text: d.name }), el("td", { text: t(`admin.kind_${d.kind}`) }), el("td", { text: d.counter || "—" }),
          el("td", { text: d.created_at.slice(0, 16).replace("T", " ") }),
          el("td", null, el("span", { cls: d.connected ? "badge ok" : "badge", text: presence })),
          el("td", null, d.revoked_at ? null : el("button", { type: "button", cls: "revoke", text: t("admin.revoke"), onclick: async () => {
            if (!window.confirm(t("admin.revoke_confirm", { name: d.name }))) return;
            const x = await api("POST", `/api/admin/devices/${encodeURIComponent(d.name)}/revoke`, {});
            if (x.status === 200) say(t("admin.device_revoked", { name: d.name }), "note");
            else say(x.json.error ? x.json.error.message : t("admin.failed"), "error");
            draw();
          } }))));
      });
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const data = { name: form.name.value.trim(), kind: form.kind.value };
      if (form.counter.value) data.counter = Number(form.counter.value);
      const r = await api("POST", "/api/admin/devices", data);
      if (r.status !== 201) {
        const err = r.json.error || {};
        showError(form, { ...err, field: err.field || DEVICE_FIELDS[err.code] });
        return;
      }
      const link = document.getElementById("enrol-link");
      link.href = r.json.link;
      link.textContent = r.json.link;
      // The QR code is an SVG made by the server from the link (no user text in it).
      document.getElementById("enrol-qr").innerHTML = r.json.qr_svg;
      document.getElementById("enrolled").hidden = false;
      say(t("admin.device_enrolled", { name: r.json.device.name }), "note");
      form.reset();
      draw();
    });
    draw();
    setInterval(draw, 10000); // presence changes as screens come and go
  }

  // --- config history (branch cfg's routes) ------------------------------------------------

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

  const PAGES = { office: officePage, procedures: proceduresPage, counters: countersPage, notices: noticesPage,
    users: usersPage, devices: devicesPage, "printer-voice": printerVoicePage, history: historyPage };
  printerTestButton();
  PAGES[pageName]();
  window.AdminPage = { Config, api };
})();
