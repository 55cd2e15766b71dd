/* The admin pages of people and machines: users (roles, counters, passwords) and devices. */
"use strict";
(function () {
  const { t, say, api, el, clearErrors, showError, readValue, pages } = window.Admin;


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
    // Every configured counter, closed ones too (a clerk keeps their counters while one is shut).
    const config = (await api("GET", "/api/admin/config")).json.config || {};
    const counters = (config.counters || []).map((c) => ({ number: c.number, name: c.name }));
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

  Object.assign(pages, { users: usersPage, devices: devicesPage });
})();
