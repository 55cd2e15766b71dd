// The dossier panel: while a ticket is held, record the dossiers the citizen filed (typed, or a
// scanner's burst anywhere on the page), or mark the visit advice only; correct a record; find
// a dossier by code and move its status on. The console itself is counter.js (window.Console).
(function () {
  "use strict";

  const C = window.Console;
  const I18n = window.I18n;
  const bi = I18n.bi;
  const $ = (id) => document.getElementById(id);
  // Until procedures carry their usual processing days, the promised date starts here.
  const DEFAULT_DUE_DAYS = 3;
  const STATUS = {
    received: "counter.dst_received",
    in_progress: "counter.dst_in_progress",
    ready: "counter.dst_ready",
    returned: "counter.dst_returned",
    more_needed: "counter.dst_more_needed",
    rejected: "counter.dst_rejected",
    withdrawn: "counter.dst_withdrawn",
  };
  // Where each status may go: the server's own table (core/dossier_rules.py), sent by the page.
  const NEXT = JSON.parse(document.getElementById("console").dataset.transitions || "{}");
  // The field an error code belongs to, when the answer does not name one.
  const FIELD = {
    bad_code: "code",
    duplicate_code: "code",
    missing_code: "code",
    bad_due: "due",
    missing_due: "due",
    service_required: "service",
    unknown_service: "service",
    bad_phone: "phone",
    consent_required: "consent",
  };
  const serviceName = (code) => (C.services.find((s) => s.code === code) || { name: code }).name;

  let ticketId = null; // the ticket the form was prepared for
  let recorded = {}; // ticket id -> dossiers recorded from this page (when the state has none)
  let sending = false;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function heldTicket() {
    const s = C.state();
    const t = s && s.counter && s.counter.ticket;
    return t && (t.status === "called" || t.status === "serving") ? t : null;
  }

  function statusText(st) {
    return STATUS[st] ? bi(STATUS[st]) : st;
  }

  // The office's today (the server's clock, in the office's zone) plus a few days, off weekends.
  function defaultDue() {
    const s = C.state();
    const today = s && s.now ? s.now.slice(0, 10) : new Date().toISOString().slice(0, 10);
    const d = new Date(today + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + DEFAULT_DUE_DAYS);
    while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function clearErrors(form) {
    form.querySelectorAll(".err").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }

  function fieldError(field, text) {
    const box = document.querySelector(`#d-form [data-err="${field}"]`) || $("d-form-err");
    box.textContent = text;
    const input = $("d-" + field);
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function prepare(t) {
    ticketId = t.id;
    const form = $("d-form");
    form.reset();
    clearErrors(form);
    $("d-due").value = defaultDue();
    const own = [...$("d-service").options].some((o) => o.value === t.service);
    if (own) $("d-service").value = t.service;
  }

  function render(state) {
    const t = heldTicket();
    $("dossier").hidden = !t;
    if (!t) {
      ticketId = null;
      return;
    }
    if (t.id !== ticketId) prepare(t);
    // The state carries the ticket's dossiers; the page's own list bridges until it refreshes.
    const list = state && state.dossiers && state.dossiers.length ? state.dossiers : recorded[t.id] || [];
    renderList(list, t, state);
  }

  function renderList(list, t, state) {
    const ul = $("d-list");
    ul.replaceChildren();
    const advice = Boolean((state && state.advice_only) || (recorded[t.id] || []).advice);
    if (!list.length && !advice) ul.append(el("li", "none", bi("counter.dos_none")));
    if (advice) ul.append(el("li", "advice", bi("counter.dos_advice_only")));
    for (const d of list) ul.append(item(d));
  }

  function item(d) {
    const li = el("li", "d-item");
    li.dataset.code = d.code;
    li.append(el("b", "code", d.code), el("span", "svc", serviceName(d.service)));
    li.append(el("span", "due", `${I18n.t("counter.dos_due")}: ${d.due}`));
    li.append(el("span", "st st-" + d.status, statusText(d.status)));
    if (d.has_contact) li.append(el("span", "phone", I18n.t("counter.dos_phone_kept")));
    const fix = el("button", "fix", I18n.t("counter.dos_correct"));
    fix.type = "button";
    fix.addEventListener("click", () => openFix(li, d));
    li.append(fix);
    return li;
  }

  function openFix(li, d) {
    if (li.querySelector("form")) return;
    const form = el("form", "d-fix");
    const field = el("select");
    field.name = "field";
    for (const [f, key] of [["code", "counter.dos_code"], ["due", "counter.dos_due"], ["service", "counter.dos_service"]]) {
      const o = el("option", "", I18n.t(key));
      o.value = f;
      field.append(o);
    }
    const value = el("input");
    value.name = "value";
    value.setAttribute("aria-label", I18n.t("counter.dos_value"));
    const svc = $("d-service").cloneNode(true);
    svc.removeAttribute("id");
    svc.name = "service";
    const err = el("small", "err");
    err.setAttribute("role", "alert");
    const save = el("button", "", I18n.t("counter.dos_save"));
    save.type = "submit";
    function shape() {
      const f = field.value;
      value.hidden = f === "service";
      svc.hidden = f !== "service";
      value.type = f === "due" ? "date" : "text";
      value.value = f === "due" ? d.due : f === "code" ? d.code : "";
      svc.value = d.service;
    }
    field.addEventListener("change", shape);
    form.append(field, value, svc, save, err);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = field.value;
      correct(d, f, f === "service" ? svc.value : value.value.trim(), err);
    });
    shape();
    li.append(form);
    value.focus();
  }

  async function post(url, data) {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": C.csrf },
      body: JSON.stringify(data),
    });
    if (r.status === 401) C.toLogin();
    if (r.ok) return { ok: true, body: await r.json() };
    return { ok: false, error: await C.errorOf(r) };
  }

  function say(text, kind) {
    const m = $("message");
    m.textContent = text;
    m.className = "message " + (kind || "");
  }

  function remember(t, d) {
    const list = (recorded[t.id] = recorded[t.id] || []);
    const i = list.findIndex((x) => x.code === d.code);
    if (i >= 0) list[i] = d;
    else list.push(d);
  }

  async function record(ev) {
    ev.preventDefault();
    const t = heldTicket();
    const form = $("d-form");
    if (!t || sending) return;
    clearErrors(form);
    const code = $("d-code").value.trim().toUpperCase();
    const phone = $("d-phone").value.trim();
    const consent = $("d-consent").checked;
    if (!code) return fieldError("code", bi("counter.dos_need_code"));
    if (!$("d-due").value) return fieldError("due", bi("counter.dos_need_due"));
    if (phone && !consent) return fieldError("consent", bi("counter.dos_need_consent"));
    const data = { code: code, due: $("d-due").value, service: $("d-service").value };
    if (phone) Object.assign(data, { phone: phone, consent: true, notify_near: $("d-near").checked });
    sending = true;
    try {
      const res = await post(`/api/counters/${C.counter()}/dossiers`, data);
      if (res.ok) {
        remember(t, res.body.dossier);
        say(bi("counter.dos_recorded", { code: res.body.dossier.code }), "ok");
        prepare(t);
        $("d-code").focus();
        await C.refresh();
      } else {
        fieldError(res.error.field || FIELD[res.error.code] || "form", res.error.message);
      }
    } catch (e) {
      fieldError("form", bi("counter.unreachable", { error: e.message }));
    } finally {
      sending = false;
    }
  }

  async function adviceOnly() {
    const t = heldTicket();
    if (!t || sending) return;
    clearErrors($("d-form"));
    sending = true;
    try {
      const res = await post(`/api/counters/${C.counter()}/advice-only`, {});
      if (res.ok) {
        (recorded[t.id] = recorded[t.id] || []).advice = true;
        say(bi("counter.dos_advice_done"), "ok");
        await C.refresh();
      } else {
        fieldError("form", res.error.message);
      }
    } catch (e) {
      fieldError("form", bi("counter.unreachable", { error: e.message }));
    } finally {
      sending = false;
    }
  }

  async function correct(d, field, value, err) {
    err.textContent = "";
    try {
      const res = await post(`/api/dossiers/${encodeURIComponent(d.code)}/correct`, { field: field, value: value });
      if (!res.ok) {
        err.textContent = res.error.message;
        return;
      }
      const t = heldTicket();
      if (t && recorded[t.id]) {
        recorded[t.id] = recorded[t.id].filter((x) => x.code !== d.code);
        remember(t, res.body.dossier);
      }
      say(bi("counter.dos_corrected", { code: res.body.dossier.code }), "ok");
      await C.refresh();
      render(C.state());
    } catch (e) {
      err.textContent = bi("counter.unreachable", { error: e.message });
    }
  }

  // Search: one dossier by code, with the statuses it may move to.
  async function find(ev) {
    if (ev) ev.preventDefault();
    const code = $("ds-code").value.trim().toUpperCase();
    $("ds-err").textContent = "";
    if (!code) return;
    try {
      const r = await fetch(`/api/dossiers/${encodeURIComponent(code)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.status === 401) return C.toLogin();
      if (r.status === 404) {
        $("ds-result").hidden = true;
        $("ds-err").textContent = bi("counter.dos_not_found", { code: code });
        return;
      }
      if (!r.ok) {
        $("ds-err").textContent = (await C.errorOf(r)).message;
        return;
      }
      showFound((await r.json()).dossier);
    } catch (e) {
      $("ds-err").textContent = bi("counter.unreachable", { error: e.message });
    }
  }

  function showFound(d) {
    const box = $("ds-result");
    box.hidden = false;
    box.dataset.code = d.code;
    box.dataset.status = d.status;
    const facts = el("dl", "ds-facts");
    const rows = [
      ["counter.dos_code", d.code],
      ["counter.dos_service", serviceName(d.service)],
      ["counter.dos_due", d.due],
      ["counter.dos_received_on", (d.received_at || d.day || "").slice(0, 16).replace("T", " ")],
    ];
    if (d.ready_at) rows.push(["counter.dos_ready_on", d.ready_at.slice(0, 16).replace("T", " ")]);
    if (d.returned_at) rows.push(["counter.dos_returned_on", d.returned_at.slice(0, 16).replace("T", " ")]);
    for (const [key, value] of rows) facts.append(el("dt", "", I18n.t(key)), el("dd", "", value));
    const st = el("p", "ds-status");
    st.append(el("span", "st st-" + d.status, statusText(d.status)));
    const buttons = el("div", "ds-buttons");
    const next = NEXT[d.status] || [];
    for (const s of next) {
      const b = el("button", "set", `${I18n.t("counter.dos_set")}: ${I18n.t(STATUS[s] || s)}`);
      b.type = "button";
      b.dataset.status = s;
      b.addEventListener("click", () => setStatus(d.code, s));
      buttons.append(b);
    }
    box.replaceChildren(st, facts, buttons);
  }

  async function setStatus(code, status) {
    $("ds-err").textContent = "";
    try {
      const res = await post(`/api/dossiers/${encodeURIComponent(code)}/status`, { status: status });
      if (!res.ok) {
        $("ds-err").textContent = res.error.message;
        return;
      }
      showFound(res.body.dossier);
      say(bi("counter.dos_status_set", { code: code, status: I18n.t(STATUS[status] || status) }), "ok");
      C.refresh();
    } catch (e) {
      $("ds-err").textContent = bi("counter.unreachable", { error: e.message });
    }
  }

  $("d-form").addEventListener("submit", record);
  $("d-advice").addEventListener("click", adviceOnly);
  $("ds-form").addEventListener("submit", find);
  // A scan goes to the code field and the clerk confirms the date: an appointment slip's code
  // alone does not say when the result was promised.
  window.Wedge.attach({
    active: () => heldTicket() !== null && !C.modal(),
    onCode: (code) => {
      $("d-code").value = code;
      clearErrors($("d-form"));
      say(bi("counter.dos_scanned", { code: code }), "info");
      $("d-record").focus();
    },
    onSingle: (key) => C.shortcut(key),
  });
  C.onRender(render);
  render(C.state());
})();
