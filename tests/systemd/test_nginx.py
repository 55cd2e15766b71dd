"""nginx in front: the generated config passes `nginx -t`; through real nginx, slowloris
connections and a flood from other addresses do not stop the kiosk."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, LiveServer, free_port
from tests.systemd.conftest import needs

CONF = ROOT / "scripts" / "nginx_conf.sh"
pytestmark = needs("nginx")


def write_conf(out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CONF), str(out), *args], capture_output=True, text=True,
                          env=env, timeout=30)  # fmt: skip


def nginx_test(conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["nginx", "-t", "-p", str(conf.parent), "-c", str(conf)],
                          capture_output=True, text=True, timeout=30)  # fmt: skip


def make_cert(tls: Path) -> None:
    tls.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=test", "-keyout", str(tls / "server.key"),
         "-out", str(tls / "server.crt")], check=True, capture_output=True,
    )  # fmt: skip
    shutil.copy(tls / "server.crt", tls / "ca.crt")


def test_the_demo_config_passes_nginx_t(tmp_path):
    out = write_conf(tmp_path, "5000", "127.0.0.1:5001", "--standalone")
    assert out.returncode == 0, out.stderr
    r = nginx_test(tmp_path / "nginx.conf")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "onestop-locations.conf").read_text()
    for needed in ("client_header_timeout 10s", "proxy_set_header X-Real-IP $remote_addr",
                   "limit_conn onestop_ws", "proxy_buffering on", "Upgrade $http_upgrade"):  # fmt: skip
        assert needed in text


@needs("openssl")
def test_the_office_config_with_https_passes_nginx_t(tmp_path):
    make_cert(tmp_path / "tls")
    out = write_conf(tmp_path, "8000", "127.0.0.1:8001", "--standalone", "--tls", "--staff-https")
    assert out.returncode == 0, out.stderr
    r = nginx_test(tmp_path / "nginx.conf")
    assert r.returncode == 0, r.stderr
    assert "return 308 https://" in (tmp_path / "onestop-staff-http.conf").read_text()


def test_gunicorn_behind_nginx_must_be_on_loopback(tmp_path):
    out = write_conf(tmp_path, "5000", "0.0.0.0:5001")
    assert out.returncode != 0 and "loopback" in out.stderr


class Stack:
    """gunicorn on loopback (behind_proxy) and the demo's own nginx in front, as run.sh does."""

    def __init__(self, tmp: Path):
        self.app = LiveServer(tmp / "data", env={"ONESTOP_SECURITY_BEHIND_PROXY": "true"})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tmp / "nginx"
        out = write_conf(self.dir, f"127.0.0.1:{self.port}", f"127.0.0.1:{self.app.port}",
                         "--standalone")  # fmt: skip
        assert out.returncode == 0, out.stderr
        self.nginx: subprocess.Popen | None = None

    def start(self) -> Stack:
        self.app.start()
        conf = self.dir / "nginx.conf"
        self.nginx = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/health", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.nginx:
            self.nginx.terminate()
            self.nginx.wait(10)
        self.app.stop()


def from_address(addr: str) -> requests.Session:
    """A client whose connections leave from `addr` (127.0.0.2 and up stand for other machines)."""
    s = requests.Session()
    adapter = requests.adapters.HTTPAdapter()
    adapter.init_poolmanager(1, 1, source_address=(addr, 0))
    s.mount("http://", adapter)
    return s


@pytest.fixture
def stack(tmp_path):
    st = Stack(tmp_path).start()
    yield st
    st.stop()


@pytest.mark.slow
def test_slowloris_and_a_flood_do_not_stop_the_kiosk(stack):
    held = []
    for i in range(100):  # half-sent headers, never finished
        s = socket.create_connection(
            ("127.0.0.1", stack.port), source_address=(f"127.0.0.{10 + i % 50}", 0)
        )
        s.sendall(b"POST /api/tickets HTTP/1.1\r\nHost: x\r\nX-a: ")
        held.append(s)
    flood = from_address("127.0.0.3")
    shed = [
        flood.post(stack.url + "/api/tickets", json={"service": "hotich"}, timeout=5).status_code
        for _ in range(20)
    ]
    assert shed.count(201) <= 3 and shed.count(429) >= 17
    kiosk = requests.Session()
    times = []
    for _ in range(10):
        t0 = time.monotonic()
        r = kiosk.post(stack.url + "/api/tickets", json={"service": "hotich"}, timeout=5)
        times.append(time.monotonic() - t0)
        assert r.status_code == 201
    assert requests.get(stack.url + "/api/health", timeout=5).status_code == 200
    print(f"kiosk through nginx under 100 slowloris: max {max(times) * 1000:.0f} ms")
    for s in held:
        s.close()


UPGRADE = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


def open_socket(port: int, addr: str) -> tuple[str, socket.socket]:
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(addr, 0))
    s.sendall(UPGRADE)
    return s.recv(100).split(b" ")[1].decode(), s


@pytest.mark.slow
def test_open_sockets_are_bounded_per_real_address_through_nginx(stack):
    held = [open_socket(stack.port, "127.0.0.5") for _ in range(12)]
    codes = [code for code, _ in held]
    assert codes.count("101") == 8 and codes.count("429") == 4  # [limits] sockets_per_address
    # The bound is the attacker's own (X-Real-IP reaches the app): a screen elsewhere connects.
    code, s = open_socket(stack.port, "127.0.0.6")
    assert code == "101"
    for _, sock in [*held, (code, s)]:
        sock.close()


@pytest.mark.slow
def test_a_voice_recording_passes_nginx_other_big_bodies_do_not(stack):
    """Uploads to /api/admin/voice/segments/ may be 9 MiB; every other body stays at 256 KiB."""
    from tests.voice.test_recorded import LEAD, key_of, tone_wav

    h = {"Authorization": f"Bearer {stack.app.token('admin1', 'admin')}"}
    take = tone_wav(tone_s=4.0, rate=48000)  # ~1 MiB: four times what other routes take
    assert len(take) > 4 * 256 * 1024 * 0.9
    url = f"{stack.url}/api/admin/voice/segments/{key_of(LEAD)}"
    r = requests.put(url, data=take, headers={**h, "Content-Type": "audio/wav"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert abs(r.json()["duration_ms"] - 4100) <= 20
    r = requests.post(stack.url + "/api/tickets", data=take, timeout=30,
                      headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    # Over nginx's own bound: refused before the app, with the app's JSON error.
    r = requests.put(url, data=b"\0" * (10 * 1024 * 1024), timeout=30,
                     headers={**h, "Content-Type": "audio/wav"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_large"


def test_a_body_over_nginx_buffers_reaches_the_app(stack):
    """A body nginx spools to a temp file (here 200 KiB, under the app's 256 KiB) is the app's to
    judge: its JSON error, not nginx's 500 because the worker could not write its temp dir."""
    r = requests.post(stack.url + "/api/tickets", data=b"{" + b" " * 200_000 + b"}", timeout=30,
                      headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code in (400, 401, 403), r.text[:200]
    assert "error" in r.json()
    assert "Permission denied" not in (stack.dir / "logs" / "error.log").read_text()
