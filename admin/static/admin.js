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
        const later = r.json.restart_needed || [];
        // Sections the server reads only at start-up (printer, ...) wait for a restart.
        say(t("admin.saved", { version: r.json.version }) +
          (later.length ? " " + t("admin.restart_needed", { sections: later.join(", ") }) : ""), "note");
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

  // The pages register here (config_pages.js, people.js) and run once the DOM is ready.
  const pages = {};
  window.Admin = { t, say, api, el, clearErrors, showError, readValue, getPath, Config, field, move,
    configPage, pages };
  document.addEventListener("DOMContentLoaded", () => {
    printerTestButton();
    pages[pageName]();
  });
})();
