// UI strings for the page scripts, from the catalogue the page carries: server/i18n.py writes
// this script's tag with a data-i18n attribute (data, not code, so the CSP allows it).
(function () {
  "use strict";

  var node = document.querySelector("script[data-i18n]");
  var data = node ? JSON.parse(node.dataset.i18n) : { lang: "vi", strings: { vi: {}, en: {} } };

  function raw(key, lang) {
    var table = data.strings[lang] || {};
    // Vietnamese is the reference: a string missing in another language falls back to it.
    var v = key in table ? table[key] : (data.strings.vi || {})[key];
    return v === undefined ? key : v;
  }

  // t("kiosk.retrying", {n: 2}) -> the string in the page's (or the given) language.
  function t(key, params, lang) {
    var v = raw(key, lang || I18n.lang);
    if (Array.isArray(v)) {
      // Plural forms: Vietnamese has one, English two (n == 1, other).
      v = v.length === 1 || (params && params.n === 1) ? v[0] : v[1];
    }
    if (!params) return v;
    return v.replace(/\{(\w+)\}/g, function (m, name) {
      return name in params ? String(params[name]) : m;
    });
  }

  // "Việt / English" on a Vietnamese page, English alone on an English one.
  function bi(key, params) {
    if (I18n.lang === "en") return t(key, params, "en");
    return t(key, params, "vi") + " / " + t(key, params, "en");
  }

  // A clock_stepped alert in words: "Đồng hồ đã được chỉnh +14 giờ 15 phút lúc 08:20".
  function clockStepped(p, at) {
    var s = Math.abs(Math.round((p.step_s || 0) / 60)), h = Math.floor(s / 60), m = s % 60;
    var q = { sign: p.step_s < 0 ? "−" : "+", h: h, m: m };
    var step = h ? t("common.clock_step", q) : t("common.clock_step_min", q);
    return t("common.clock_stepped", { step: step, at: (p.new_wall || at || "").slice(11, 16) });
  }

  var I18n = { lang: data.lang, t: t, bi: bi, clockStepped: clockStepped };
  window.I18n = I18n;
})();
