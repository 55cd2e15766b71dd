"""Malformed HTTP on the wire to a real gunicorn server: no 500, no change, still serving."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.faults.tools import dump, ro_connect
from tests.helpers import LiveServer

pytestmark = pytest.mark.slow

BODY = b'{"service": "hotich"}'


def raw(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    """Send bytes as they are; return what came back before the server closed or went quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def post(headers: bytes, body: bytes = BODY, path: bytes = b"/api/tickets") -> bytes:
    return b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body


REJECTED = {
    "bad utf-8 in key": post(
        b"Content-Type: application/json\r\nIdempotency-Key: \xff\xfe\xed\xa0\x80"
        + b"x" * 200 + b"\r\nContent-Length: 21\r\n"
    ),
    "100 KB header": post(b"X-Junk: " + b"a" * 100_000 + b"\r\nContent-Length: 21\r\n"),
    "short body": post(b"Content-Type: application/json\r\nContent-Length: 1000\r\n"),
    "negative length": post(b"Content-Length: -5\r\n"),
    "two lengths": post(b"Content-Length: 21\r\nContent-Length: 5\r\n"),
    "bad chunks": post(b"Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"),
    "smuggling": post(b"Content-Length: 21\r\nTransfer-Encoding: chunked\r\n"),
    "bad method": b"BREW /api/tickets HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad version": b"GET /api/queue HTTP/9.9\r\nHost: x\r\n\r\n",
    "nul in path": b"GET /api/tickets/\x00abc HTTP/1.1\r\nHost: x\r\n\r\n",
    "utf-8 path": b"GET /api/tickets/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
    "no request line": b"\r\n\r\n\r\n",
    "huge json body": post(
        b"Content-Type: application/json\r\nContent-Length: 1048576\r\n", b"[" * 1_048_576
    ),
}  # fmt: skip


def test_malformed_http_on_the_wire(tmp_path, figures):
    server = LiveServer(tmp_path / "live").start()
    db = server.data_dir / "onestop.db"
    statuses = {}
    try:
        requests.post(server.url + "/api/tickets", json={"service": "khac"}, timeout=5)
        conn = ro_connect(db)
        before = dump(conn)
        for name, data in REJECTED.items():
            answer = raw(server.port, data)
            status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
            statuses[name] = status
            assert status is None or 400 <= status < 500, (name, answer[:300])
            if status and answer.split(b"\r\n\r\n", 1)[0].lower().find(b"application/json") > 0:
                assert b'"error"' in answer, (name, answer[:300])
        assert dump(conn) == before, "a malformed request changed stored data"
        conn.close()
        assert requests.get(server.url + "/api/health", timeout=5).status_code == 200
        r = requests.post(server.url + "/api/tickets", json={"service": "khac"}, timeout=5)
        assert r.status_code == 201 and r.json()["ticket"]["number"] == "F002"
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[log.find("Traceback") - 200 :][:3000]
    figures("raw HTTP abuse (test_raw_http.py)", **{k: v for k, v in statuses.items()})


SOCKET_JUNK = [
    "40/display,1.5", "40/display,{", '42/display,["get_snapshot"', "42/display,[]", "42/display,{}",
    '42/display,["get_snapshot",' + "[" * 5000 + "]" * 5000 + "]", "43/display,1[]", "4x", "4", "",
    "6", "5", "41/nope,", "40/" + "a" * 10_000 + ",", "451-/display,[\"x\",{\"_placeholder\":true}]",
    '42/display,["\\ud83d"]', "2probe", "9" * 100,
]  # fmt: skip


def test_malformed_socketio_packets(tmp_path, figures):
    """Junk Socket.IO and engine.io frames over a real websocket: the worker lives on,
    other screens keep working, nothing changes."""
    import websocket

    from tests.faults.tools import DisplayModel, display_client, wait_for, worker_pid

    server = LiveServer(tmp_path / "live").start()
    try:
        pid = worker_pid(server.proc.pid)
        model = DisplayModel()
        screen = display_client(server.url, model)
        conn = ro_connect(server.data_dir / "onestop.db")
        before = dump(conn)
        ws_url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
        sent = 0
        for frame in SOCKET_JUNK:
            ws = websocket.create_connection(ws_url, timeout=5)
            try:
                ws.recv()  # engine.io open packet
                ws.send("40/display,")
                for _ in range(2):
                    ws.send(frame)
                    sent += 1
                ws.send_binary(bytes(range(256)))
                sent += 1
            except (websocket.WebSocketException, OSError):
                pass  # the server may close a connection that sent junk: fine
            finally:
                ws.close()
        assert dump(conn) == before
        conn.close()
        assert worker_pid(server.proc.pid) == pid, "the worker died"
        r = requests.post(server.url + "/api/tickets", json={"service": "khac"}, timeout=5)
        assert r.status_code == 201
        seq = requests.get(server.url + "/api/queue", timeout=5).json()["seq"]
        assert wait_for(lambda: model.state()["seq"] == seq), "the other screen stopped"
        screen.disconnect()
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    # Junk is one short, rate-limited line each (server/junklog.py), not a traceback. What
    # is left: gunicorn's own traceback for a frame engine.io rejects before any handler.
    short = log.count("dropped a malformed Socket.IO message")
    gunicorn = log.count("Error handling request /socket.io") + log.count(
        "Error handling request GET /socket.io"
    )
    assert 0 < short <= 10
    assert log.count("Traceback") == gunicorn <= 2, log[log.find("Traceback") - 200 :][:3000]
    figures(
        "raw Socket.IO junk (test_raw_http.py)",
        frames_sent=sent,
        short_lines_in_log=short,
        handler_tracebacks_in_log=log.count("Traceback"),
    )
