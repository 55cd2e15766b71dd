// The office's own voice: record (MediaRecorder) or upload each segment, listen, save, delete.
// A recording is decoded here (Web Audio reads MediaRecorder's WebM/Opus) and sent as 16-bit
// WAV, so the server needs sox only, not ffmpeg. Playback goes through Web Audio as in the
// lobby, so the page hears exactly what the lobby will.
(function () {
  "use strict";

  var root = document.getElementById("voice-admin");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var MAX_S = Number(root.dataset.maxS), MAX_MIB = Number(root.dataset.maxMib);
  var ERRORS = {
    not_audio: "voiceadmin.err_not_audio",
    unsupported_audio: "voiceadmin.err_unsupported_audio",
    too_long: "voiceadmin.err_too_long",
    too_large: "voiceadmin.err_too_large",
    empty_recording: "voiceadmin.err_empty_recording",
  };
  var state = { segments: [], log: [], recording: null };
  window.VoiceAdmin = state;
  var ctx = null;

  function t(key, params) { return I18n.t(key, params); }
  function bi(key, params) { return I18n.bi(key, params); }

  function audio() {
    if (!ctx) ctx = new (window.AudioContext || window.webkitAudioContext)();
    if (ctx.state === "suspended") ctx.resume();
    return ctx;
  }

  function say(kind, text) {
    var m = document.getElementById("message");
    m.className = "message " + kind;
    m.textContent = text;
  }

  function failure(data) {
    var err = (data && data.error) || {};
    var key = ERRORS[err.code];
    var text = key ? t(key, { max_s: MAX_S, max_mib: MAX_MIB }) : err.message || "HTTP error";
    return t("voiceadmin.failed", { message: text });
  }

  function api(method, url, body, type) {
    var headers = { "X-CSRF-Token": csrf };
    if (type) headers["Content-Type"] = type;
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          return { ok: r.ok, status: r.status, data: data };
        });
      });
  }

  function decode(buf) {
    return new Promise(function (resolve, reject) { audio().decodeAudioData(buf, resolve, reject); });
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.arrayBuffer();
    }).then(decode);
  }

  // Play the files back to back, sample-accurately; onStart(i) as each one begins.
  function playAll(urls, onStart) {
    return Promise.all(urls.map(load)).then(function (buffers) {
      var c = audio(), at = c.currentTime + 0.05;
      var entry = { event: "play", urls: urls, durations: [] };
      buffers.forEach(function (b, i) {
        var src = c.createBufferSource();
        src.buffer = b;
        src.connect(c.destination);
        src.start(at);
        entry.durations.push(Math.round(b.duration * 1000));
        if (onStart) setTimeout(function () { onStart(i); }, Math.max(0, (at - c.currentTime) * 1000));
        at += b.duration;
      });
      state.log.push(entry);
      return new Promise(function (resolve) {
        setTimeout(function () { resolve(entry); }, Math.max(0, (at - c.currentTime) * 1000));
      });
    });
  }

  // 16-bit mono WAV of a decoded buffer (channels averaged).
  function toWav(buffer) {
    var n = buffer.length, chans = buffer.numberOfChannels, rate = buffer.sampleRate;
    var mono = new Float32Array(n);
    for (var c = 0; c < chans; c++) {
      var data = buffer.getChannelData(c);
      for (var i = 0; i < n; i++) mono[i] += data[i] / chans;
    }
    var view = new DataView(new ArrayBuffer(44 + n * 2));
    function text(at, s) { for (var k = 0; k < s.length; k++) view.setUint8(at + k, s.charCodeAt(k)); }
    text(0, "RIFF"); view.setUint32(4, 36 + n * 2, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true);
    view.setUint16(22, 1, true); view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true);
    view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    text(36, "data"); view.setUint32(40, n * 2, true);
    for (var j = 0; j < n; j++) {
      var s = Math.max(-1, Math.min(1, mono[j]));
      view.setInt16(44 + j * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([view.buffer], { type: "audio/wav" });
  }

  function upload(key, blob, type) {
    say("busy", t("voiceadmin.processing"));
    return api("PUT", "/api/admin/voice/segments/" + key, blob, type || "application/octet-stream")
      .then(function (r) {
        state.log.push({ event: "uploaded", key: key, status: r.status, data: r.data });
        if (!r.ok) { say("error", failure(r.data)); return; }
        say("ok", t("voiceadmin.uploaded", { s: (r.data.duration_ms / 1000).toFixed(1) }));
        return refresh();
      });
  }

  function stopRecording() {
    var rec = state.recording;
    if (rec && rec.recorder.state !== "inactive") rec.recorder.stop();
  }

  function startRecording(key) {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      document.getElementById("no-mic").hidden = false;
      return;
    }
    audio();
    navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, autoGainControl: false } })
      .then(function (stream) {
        var chunks = [], recorder = new MediaRecorder(stream);
        state.recording = { key: key, recorder: recorder };
        recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (tr) { tr.stop(); });
          clearTimeout(state.recording.timer);
          state.recording = null;
          render();
          new Blob(chunks, { type: recorder.mimeType }).arrayBuffer().then(decode).then(toWav)
            .then(function (wav) { return upload(key, wav, "audio/wav"); })
            .catch(function (e) { say("error", t("voiceadmin.failed", { message: String(e) })); });
        };
        recorder.start();
        // A little over the limit: the silence at the ends is trimmed on the server.
        state.recording.timer = setTimeout(stopRecording, (MAX_S + 2) * 1000);
        state.log.push({ event: "recording", key: key, mime: recorder.mimeType });
        say("busy", t("voiceadmin.recording"));
        render();
      })
      .catch(function () { document.getElementById("no-mic").hidden = false; });
  }

  function source(seg) {
    if (seg.recorded) return ["recorded", t("voiceadmin.src_recorded") + " · " + (seg.recorded.duration_ms / 1000).toFixed(1) + " s"];
    if (seg.engine) return ["engine", t("voiceadmin.src_engine", { engine: seg.engine })];
    return ["none", t("voiceadmin.src_none")];
  }

  function button(act, label, cls) {
    var b = document.createElement("button");
    b.type = "button";
    b.dataset.act = act;
    b.className = cls || act;
    b.textContent = label;
    return b;
  }

  function row(seg) {
    var tr = document.createElement("tr");
    tr.dataset.key = seg.key;
    if (!seg.needed) tr.className = "unused";
    var text = document.createElement("td");
    text.className = "text";
    text.textContent = seg.text;
    if (!seg.needed) {
      var un = document.createElement("span");
      un.className = "note";
      un.textContent = t("voiceadmin.not_needed");
      text.appendChild(un);
    }
    var lang = document.createElement("td");
    lang.textContent = seg.lang;
    var st = document.createElement("td"), src = source(seg), badge = document.createElement("span");
    badge.className = "badge " + src[0];
    badge.textContent = src[1];
    st.appendChild(badge);
    if (seg.pending) {
      var p = document.createElement("span");
      p.className = "badge pending";
      p.textContent = t("voiceadmin.src_pending") + " · " + (seg.pending.duration_ms / 1000).toFixed(1) + " s";
      st.appendChild(document.createTextNode(" "));
      st.appendChild(p);
    }
    var acts = document.createElement("td"), box = document.createElement("div");
    box.className = "buttons";
    var recording = state.recording && state.recording.key === seg.key;
    var rec = button("record", recording ? t("voiceadmin.stop") : t("voiceadmin.record"), "rec" + (recording ? " on" : ""));
    rec.disabled = !!state.recording && !recording;
    box.appendChild(rec);
    var file = document.createElement("label");
    file.className = "file";
    file.textContent = t("voiceadmin.upload");
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3";
    input.dataset.act = "file";
    file.appendChild(input);
    box.appendChild(file);
    if (seg.url) box.appendChild(button("play", t("voiceadmin.play")));
    if (seg.pending) {
      box.appendChild(button("play-pending", t("voiceadmin.play_pending"), "play"));
      box.appendChild(button("save", t("voiceadmin.save")));
    }
    if (seg.recorded || seg.pending) box.appendChild(button("delete", t("voiceadmin.delete")));
    acts.appendChild(box);
    [text, lang, st, acts].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function render() {
    var body = document.getElementById("rows");
    body.textContent = "";
    state.segments.forEach(function (seg) { body.appendChild(row(seg)); });
  }

  function refresh() {
    return fetch("/api/admin/voice/segments", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.segments = data.segments;
        document.getElementById("count").textContent = bi("voiceadmin.count", { n: data.recorded, total: data.needed });
        render();
        state.loaded = true;
      });
  }

  function find(key) {
    return state.segments.filter(function (s) { return s.key === key; })[0];
  }

  function act(action, key) {
    var seg = find(key);
    if (action === "record") {
      if (state.recording) stopRecording(); else startRecording(key);
    } else if (action === "play") {
      playAll([seg.url]);
    } else if (action === "play-pending") {
      playAll([seg.pending.url]);
    } else if (action === "save") {
      api("POST", "/api/admin/voice/segments/" + key + "/save").then(function (r) {
        if (!r.ok) { say("error", failure(r.data)); return; }
        say("ok", t("voiceadmin.saved"));
        return refresh();
      });
    } else if (action === "delete") {
      if (!window.confirm(t("voiceadmin.confirm_delete"))) return;
      api("DELETE", "/api/admin/voice/segments/" + key).then(function (r) {
        if (!r.ok) { say("error", failure(r.data)); return; }
        say("ok", t("voiceadmin.deleted"));
        return refresh();
      });
    }
  }

  document.getElementById("rows").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-act]");
    if (b) act(b.dataset.act, b.closest("tr").dataset.key);
  });
  document.getElementById("rows").addEventListener("change", function (e) {
    var input = e.target;
    if (input.dataset.act !== "file" || !input.files.length) return;
    var f = input.files[0];
    upload(input.closest("tr").dataset.key, f, f.type || "application/octet-stream");
  });

  document.getElementById("preview-form").addEventListener("submit", function (e) {
    e.preventDefault();
    audio();
    var body = JSON.stringify({
      number: document.getElementById("pv-number").value.trim().toUpperCase(),
      counter: Number(document.getElementById("pv-counter").value),
      pending: document.getElementById("pv-pending").checked,
    });
    api("POST", "/api/admin/voice/preview", body, "application/json").then(function (r) {
      if (!r.ok) { say("error", failure(r.data)); return; }
      document.getElementById("pv-text").textContent = r.data.text;
      var list = document.getElementById("pv-segments");
      list.textContent = "";
      var items = r.data.segments.map(function (s) {
        var li = document.createElement("li");
        li.className = s.source;
        li.textContent = s.text;
        li.title = s.source;
        list.appendChild(li);
        return li;
      });
      state.log.push({ event: "preview", audio: r.data.audio, sources: r.data.segments.map(function (s) { return s.source; }) });
      var said = document.getElementById("pv-text");
      said.dataset.state = "playing";
      return playAll([r.data.chime].concat(r.data.audio), function (i) {
        items.forEach(function (li, k) { li.classList.toggle("playing", k === i - 1); });
      }).then(function () {
        items.forEach(function (li) { li.classList.remove("playing"); });
        said.dataset.state = "done";
      });
    }).catch(function (err) { say("error", t("voiceadmin.failed", { message: String(err) })); });
  });

  if (!window.isSecureContext || !navigator.mediaDevices) document.getElementById("no-mic").hidden = false;
  refresh();
})();
