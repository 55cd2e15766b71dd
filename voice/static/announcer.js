/* One-Stop Queue: plays call announcements on the lobby display, one call at a time.
 *
 * window.OnestopAnnouncer.enqueue(call, {recall}) with a Call from a `ticket_called` event
 * ({ticket, counter, at, text, audio: [url, ...]}). Calls play in arrival order: the chime,
 * then the segments back to back (Web Audio, each file fetched and decoded once), the whole
 * sentence `repeat` times. A call arriving meanwhile waits; the same call (same ticket,
 * counter and `at`) is never stacked twice; a Recall has a new `at` and plays again.
 * OnestopAnnouncer.log records what was played, with times, for tests and diagnosis.
 * No inline script or style is needed (the page's CSP may forbid both).
 */
(function () {
  "use strict";

  var settings = {
    configUrl: "/voice/config",
    chime: "/voice/static/chime.wav",
    enabled: true,
    repeat: 1,
    leadS: 0.012, // a few render quanta ahead: the first sample is never clipped
    chimeGapS: 0.2, // after the chime
    segmentGapS: 0.06, // between two segments
    repeatGapS: 0.7, // between two repetitions of the sentence
    silence: 0.015, // |sample| below this at the edges of a segment is trimmed
    maxQueue: 30,
    seenLimit: 300,
  };

  var log = [];
  var queue = [];
  var current = null;
  var seen = new Map(); // call key -> true, oldest first
  var buffers = new Map(); // url -> Promise<{buffer, offset, duration} | null>
  var ctx = null;
  var overlay = null;
  var overlayShown = false;
  var unlockWaiters = [];
  var ready = null;

  function now() {
    return performance.now();
  }

  function note(entry) {
    entry.t = now();
    log.push(entry);
    if (log.length > 5000) log.splice(0, 1000);
    return entry;
  }

  function context() {
    if (ctx) return ctx;
    var AC = window.AudioContext || window.webkitAudioContext;
    ctx = new AC({ latencyHint: "interactive" });
    ctx.addEventListener("statechange", function () {
      note({ type: "context", state: ctx.state });
      if (ctx.state === "running") {
        hideOverlay();
        var waiters = unlockWaiters;
        unlockWaiters = [];
        waiters.forEach(function (fn) { fn(); });
      }
    });
    if (ctx.state !== "running") {
      ctx.resume().catch(function () {});
      setTimeout(function () {
        if (ctx.state !== "running") showOverlay();
      }, 400);
    }
    return ctx;
  }

  function unlocked() {
    var c = context();
    if (c.state === "running") return Promise.resolve();
    return new Promise(function (resolve) { unlockWaiters.push(resolve); });
  }

  function unlock() {
    var c = context();
    return c.resume().then(function () {
      // Some browsers need a sound started inside the gesture itself.
      var src = c.createBufferSource();
      src.buffer = c.createBuffer(1, 1, c.sampleRate);
      src.connect(c.destination);
      src.start();
    });
  }

  function showOverlay() {
    if (overlayShown) return;
    if (!document.body) {
      document.addEventListener("DOMContentLoaded", showOverlay);
      return;
    }
    overlayShown = true;
    overlay = document.createElement("div");
    overlay.id = "onestop-sound-overlay";
    overlay.setAttribute("role", "button");
    overlay.tabIndex = 0;
    var s = overlay.style;
    s.position = "fixed";
    s.inset = "0";
    s.zIndex = "2147483647";
    s.display = "flex";
    s.flexDirection = "column";
    s.alignItems = "center";
    s.justifyContent = "center";
    s.background = "rgba(0, 40, 90, 0.88)";
    s.color = "#fff";
    s.cursor = "pointer";
    s.fontFamily = "'DejaVu Sans', sans-serif";
    var vi = document.createElement("div");
    vi.textContent = "Chạm để bật âm thanh";
    vi.style.fontSize = "64px";
    vi.style.fontWeight = "bold";
    var en = document.createElement("div");
    en.textContent = "Tap to enable sound";
    en.style.fontSize = "36px";
    en.style.marginTop = "16px";
    overlay.appendChild(vi);
    overlay.appendChild(en);
    var go = function (ev) {
      ev.preventDefault();
      unlock().catch(function () {});
    };
    overlay.addEventListener("pointerdown", go);
    overlay.addEventListener("click", go);
    overlay.addEventListener("keydown", go);
    document.body.appendChild(overlay);
    note({ type: "overlay", shown: true });
  }

  function hideOverlay() {
    if (overlay && overlay.parentNode) {
      overlay.parentNode.removeChild(overlay);
      note({ type: "overlay", shown: false });
    }
    overlay = null;
  }

  function trim(buffer) {
    // Engines leave silence around words; cutting it makes the segments join like speech.
    var data = buffer.getChannelData(0);
    var first = 0;
    var last = data.length - 1;
    while (first < last && Math.abs(data[first]) < settings.silence) first++;
    while (last > first && Math.abs(data[last]) < settings.silence) last--;
    var pad = Math.floor(0.02 * buffer.sampleRate);
    first = Math.max(0, first - pad);
    last = Math.min(data.length - 1, last + pad);
    if (last <= first) return { buffer: buffer, offset: 0, duration: buffer.duration };
    return {
      buffer: buffer,
      offset: first / buffer.sampleRate,
      duration: (last - first + 1) / buffer.sampleRate,
    };
  }

  function load(url, keepWhole) {
    var key = url + (keepWhole ? "#whole" : "");
    if (buffers.has(key)) return buffers.get(key);
    var started = now();
    var p = fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.arrayBuffer();
      })
      .then(function (bytes) {
        return new Promise(function (resolve, reject) {
          context().decodeAudioData(bytes, resolve, reject);
        });
      })
      .then(function (buffer) {
        note({ type: "loaded", url: url, ms: now() - started });
        return keepWhole ? { buffer: buffer, offset: 0, duration: buffer.duration } : trim(buffer);
      })
      .catch(function (err) {
        buffers.delete(key); // try again next time: it may be rendered by then
        note({ type: "load_failed", url: url, error: String(err) });
        return null;
      });
    buffers.set(key, p);
    return p;
  }

  function perfTimeOf(ctxTime) {
    // When the sample scheduled at ctxTime reaches the speaker, on performance.now()'s clock.
    var ts = ctx.getOutputTimestamp ? ctx.getOutputTimestamp() : null;
    if (ts && ts.performanceTime) return ts.performanceTime + (ctxTime - ts.contextTime) * 1000;
    return now() + (ctxTime - ctx.currentTime + (ctx.outputLatency || 0)) * 1000;
  }

  function schedule(item, kind, url, clip, at, extra) {
    var c = ctx;
    var src = c.createBufferSource();
    src.buffer = clip.buffer;
    src.connect(c.destination);
    var entry = note(Object.assign({
      type: kind,
      key: item.key,
      number: item.number,
      url: url,
      start: at,
      duration: clip.duration,
      startPerf: perfTimeOf(at),
      receivedPerf: item.received,
    }, extra || {}));
    return new Promise(function (resolve) {
      src.onended = function () {
        entry.end = c.currentTime;
        entry.endPerf = now();
        resolve();
      };
      src.start(at, clip.offset, clip.duration);
    });
  }

  function playCall(item) {
    return Promise.resolve(ready)
      .then(unlocked)
      .then(function () {
        return load(settings.chime, true);
      })
      .then(function (chime) {
        var c = ctx;
        var t = c.currentTime + settings.leadS;
        var ends = [];
        note({ type: "call_start", key: item.key, number: item.number, recall: item.recall,
               waitedMs: now() - item.received });
        if (chime) {
          ends.push(schedule(item, "chime", settings.chime, chime, t));
          t += chime.duration + settings.chimeGapS;
        }
        var urls = settings.enabled ? item.audio : [];
        var rep = 0;
        var i = 0;
        function next() {
          if (i >= urls.length) {
            rep++;
            i = 0;
            if (rep >= settings.repeat || !urls.length) return Promise.resolve();
            t += settings.repeatGapS;
          }
          var index = i++;
          var url = urls[index];
          return load(url).then(function (clip) {
            if (!clip) {
              note({ type: "gap", key: item.key, url: url, index: index, rep: rep });
              return next();
            }
            // A segment fetched late cannot start in the past: push the rest back.
            t = Math.max(t, ctx.currentTime + settings.leadS);
            ends.push(schedule(item, "segment", url, clip, t, { index: index, rep: rep }));
            t += clip.duration + settings.segmentGapS;
            return next();
          });
        }
        return next().then(function () {
          return Promise.all(ends);
        });
      })
      .then(function () {
        note({ type: "call_end", key: item.key, number: item.number });
      });
  }

  function pump() {
    if (current || !queue.length) return;
    current = queue.shift();
    playCall(current)
      .catch(function (err) {
        note({ type: "error", key: current && current.key, error: String(err) });
      })
      .then(function () {
        current = null;
        pump();
      });
  }

  function callKey(call, recall) {
    // `at` has whole seconds: a Recall in the same second as its call must still count.
    var t = call.ticket || {};
    return [t.id || t.number || "", call.counter, call.at, recall ? "R" : "C"].join("|");
  }

  function enqueue(call, opts) {
    if (!call || !Array.isArray(call.audio)) throw new TypeError("enqueue(call): call.audio must be a list");
    var key = callKey(call, opts && opts.recall);
    if (seen.has(key)) {
      note({ type: "duplicate", key: key });
      return false;
    }
    seen.set(key, true);
    if (seen.size > settings.seenLimit) seen.delete(seen.keys().next().value);
    var item = {
      key: key,
      number: call.ticket && call.ticket.number,
      counter: call.counter,
      audio: call.audio.slice(),
      recall: !!(opts && opts.recall),
      received: now(),
    };
    if (queue.length >= settings.maxQueue) {
      var dropped = queue.shift();
      note({ type: "dropped", key: dropped.key });
    }
    queue.push(item);
    note({ type: "queued", key: key, number: item.number, recall: item.recall });
    context();
    item.audio.forEach(function (u) { load(u); }); // fetch and decode while earlier calls play
    pump();
    return true;
  }

  function configure(opts) {
    Object.keys(opts || {}).forEach(function (k) {
      if (k in settings) settings[k] = opts[k];
    });
    return settings;
  }

  function preload(urls) {
    return Promise.all((urls || []).map(function (u) { return load(u); }));
  }

  ready = fetch(settings.configUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (cfg) {
      if (cfg.chime) settings.chime = cfg.chime;
      if (typeof cfg.repeat === "number") settings.repeat = cfg.repeat;
      if (typeof cfg.enabled === "boolean") settings.enabled = cfg.enabled;
    })
    .catch(function () {})
    .then(function () {
      context();
      return load(settings.chime, true);
    });

  window.OnestopAnnouncer = {
    enqueue: enqueue,
    configure: configure,
    preload: preload,
    unlock: unlock,
    ready: ready,
    log: log,
    state: function () {
      return {
        context: ctx ? ctx.state : "none",
        playing: current ? current.key : null,
        queued: queue.map(function (q) { return q.key; }),
        buffers: buffers.size,
        overlay: !!overlay,
        settings: Object.assign({}, settings),
      };
    },
    idle: function () {
      return !current && !queue.length;
    },
  };
})();
