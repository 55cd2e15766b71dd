/* The voice test page: plays each `ticket_called` like the lobby display will (tests, bench). */
(function () {
  "use strict";
  var received = [];
  window.harnessReceived = received;
  var status = document.getElementById("status");
  var list = document.getElementById("calls");
  var socket = io("/display");
  socket.on("connect", function () {
    status.textContent = "Đã kết nối / connected";
    window.harnessConnected = true;
  });
  socket.on("disconnect", function () {
    status.textContent = "Mất kết nối / disconnected";
  });
  socket.on("ticket_called", function (msg) {
    var t = performance.now();
    var accepted = window.OnestopAnnouncer.enqueue(msg.call, { recall: msg.recall });
    received.push({ t: t, seq: msg.seq, number: msg.call.ticket.number, counter: msg.call.counter,
                    at: msg.call.at, recall: msg.recall, audio: msg.call.audio, accepted: accepted });
    var li = document.createElement("li");
    li.textContent = msg.call.text;
    if (msg.recall) li.className = "recall";
    list.insertBefore(li, list.firstChild);
  });
})();
