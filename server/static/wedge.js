// A USB barcode/QR scanner is a keyboard ("wedge"): it types the code as a burst of keys a few
// milliseconds apart, then Enter. People type far slower, so the time between keys tells a
// scan from a person. Wedge.attach() listens on the whole page (no focused field needed),
// swallows the keys of a burst and hands the code over; a key that turns out not to start a
// burst is handed back through onSingle, a moment late, so page shortcuts still work.
(function () {
  "use strict";

  var CHAR = /^[A-Za-z0-9.\-]$/;
  var IGNORED = { Shift: 1, CapsLock: 1 }; // scanners press Shift for capitals

  function inField(target) {
    var tag = ((target && target.tagName) || "").toLowerCase();
    return tag === "input" || tag === "select" || tag === "textarea" || (target && target.isContentEditable);
  }

  // opts: onCode(code), onSingle(key)?, active()?, minLength (6), avgGapMs (50), holdMs (500),
  // singleMs (70).
  function attach(opts) {
    var minLength = opts.minLength || 6;
    // A scan averages a few ms a key; 50 ms a key over a whole code is 240 words a minute,
    // twice a fast typist, yet leaves room for a loaded machine delivering the keys late.
    var avgGap = opts.avgGapMs || 50;
    // A pause this long ends a burst; a busy machine may stall one key that long mid-scan.
    var hold = opts.holdMs || 500;
    // A lone key is a shortcut after this: a scanner's second key comes within a few ms.
    var single = opts.singleMs || 70;
    var keys = [];
    var first = 0;
    var last = 0;
    var timer = null;

    function scanLike(now) {
      return keys.length >= minLength && (now - first) / keys.length <= avgGap;
    }

    // Keys that were not a scan go back to the page, in order.
    function giveBack() {
      var held = keys;
      keys = [];
      clearTimeout(timer);
      if (opts.onSingle && !scanLike(last)) held.forEach(function (k) { opts.onSingle(k); });
    }

    window.addEventListener("keydown", function (ev) {
      if (IGNORED[ev.key]) return;
      if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat || inField(ev.target)) {
        if (keys.length) giveBack();
        return;
      }
      if (opts.active && !opts.active()) {
        keys = [];
        return;
      }
      var now = ev.timeStamp || performance.now();
      if (keys.length && now - last > hold) giveBack();
      if (ev.key === "Enter" && keys.length) {
        if (scanLike(now)) {
          var code = keys.join("").toUpperCase();
          keys = [];
          clearTimeout(timer);
          ev.preventDefault();
          ev.stopPropagation();
          opts.onCode(code);
        } else {
          giveBack();
        }
        return;
      }
      if (!CHAR.test(ev.key)) {
        if (keys.length) giveBack();
        return;
      }
      ev.preventDefault();
      ev.stopPropagation();
      if (!keys.length) first = now;
      keys.push(ev.key);
      last = now;
      clearTimeout(timer);
      timer = setTimeout(giveBack, keys.length === 1 && opts.onSingle ? single : hold);
    }, true);
  }

  window.Wedge = { attach: attach };
})();
