"""The hall's Wi-Fi as an outsider sees it: attacks on the stack scripts/run.sh starts.

nginx + gunicorn exactly as `scripts/run.sh` starts them (that script, on free ports and a
fresh data dir). Meanwhile an enrolled kiosk on another machine (127.1.0.10, its device
token) issues one ticket a second and four clerks, each signed in at their counter, press
Next with their API tokens. In turn, from other loopback addresses (127.0.0.2 and up stand for other
machines on the Wi-Fi): an anonymous flood of issuing; 1,000 idle websockets from one
address, then from 50; 100 slowloris connections; 200 parallel login attempts. Per attack:
the kiosk's success rate and p50/p99, the numbers the attacker took, clerk Next p50/p99,
the worker's RSS peak, and how many health probes answered within 2 s.

--pi runs the server (run.sh and all it starts) in a cgroup of one core at 30%: cgroup v2
`cpu.max = 30000 100000` + `cpuset.cpus = 0` when the machine has v2's cpu controller, else
the v1 equivalents (cpu.cfs_quota_us / cpuset.cpus). Needs root. The attackers and clients
run outside it, on the machine's other capacity.

Usage: sudo .venv/bin/python bench/hall_abuse.py [--pi] [--flood-s 30] [--hold-s 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port  # noqa: E402

SERVICES = ["hotich", "chungthuc", "datdai"]
CG = "onestop_hall_abuse"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


KIOSK_ADDR = "127.1.0.10"  # the kiosk's own Pi: not the server, not an attacker


def attacker(i: int) -> str:
    """The i-th other machine on the Wi-Fi (127.0.0.2 ...)."""
    return f"127.0.{2 + i // 250}.{2 + i % 250}"


class Cgroup:
    """One core at 30% for the server: v2 when it has the cpu controller, else v1."""

    def __init__(self):
        v2 = Path("/sys/fs/cgroup")
        self.paths: list[Path] = []
        if (
            "cpu" in (v2 / "cgroup.controllers").read_text(errors="ignore").split()
            if (v2 / "cgroup.controllers").exists()
            else False
        ):
            (v2 / "cgroup.subtree_control").write_text("+cpu +cpuset")
            p = v2 / CG
            p.mkdir(exist_ok=True)
            (p / "cpu.max").write_text("30000 100000")
            (p / "cpuset.cpus").write_text("0")
            self.paths, self.kind = [p], "v2 cpu.max=30000 100000, cpuset.cpus=0"
            return
        cpu, cpuset = v2 / "cpu" / CG, v2 / "cpuset" / CG
        cpu.mkdir(exist_ok=True)
        cpuset.mkdir(exist_ok=True)
        (cpu / "cpu.cfs_period_us").write_text("100000")
        (cpu / "cpu.cfs_quota_us").write_text("30000")
        (cpuset / "cpuset.cpus").write_text("0")
        (cpuset / "cpuset.mems").write_text("0")
        self.paths = [cpu, cpuset]
        self.kind = "v1 cpu.cfs_quota_us=30000/100000, cpuset.cpus=0 (no v2 cpu controller here)"

    def prefix(self) -> list[str]:
        """A shell prefix that moves itself into the cgroup, then execs the command."""
        moves = "; ".join(f"echo $$ > {p}/cgroup.procs" for p in self.paths)
        return ["sh", "-c", moves + '; exec "$@"', "sh"]

    def remove(self) -> None:
        for p in self.paths:
            for _ in range(50):
                try:
                    p.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


class Stack:
    """scripts/run.sh on free ports and a fresh data dir."""

    def __init__(self, tmp: Path, cgroup: Cgroup | None):
        self.port, self.app_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ONESTOP_DATA": str(tmp / "data"), "PORT": str(self.port),
                    "APP_PORT": str(self.app_port), "HOST": "127.0.0.1",
                    "ONESTOP_PRINTER_TYPE": "none", "ONESTOP_VOICE_WARM_ON_START": "false",
                    "ONESTOP_OFFICE_ENFORCE_HOURS": "false"}  # fmt: skip
        cmd = [str(ROOT / "scripts" / "run.sh")]
        if cgroup:
            cmd = cgroup.prefix() + cmd
        self.log = open(tmp / "run.log", "wb")  # noqa: SIM115 - the child's lifetime
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((tmp / "run.log").read_text()[-3000:])
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the stack did not start")
        self.worker = self._worker_pid()

    def _worker_pid(self) -> int:
        procs = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                if "gunicorn" in cmd and f"127.0.0.1:{self.app_port}" in cmd:
                    procs[int(d.name)] = ppid
        return next(p for p, pp in procs.items() if pp in procs)

    def flask(self, *args: str) -> str:
        out = subprocess.run([str(ROOT / ".venv/bin/flask"), *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
        return out.stdout

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        self.proc.wait(30)


def rss_mb(pid: int) -> float:
    m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(m[1]) / 1024 if m else 0.0


class Office:
    """The kiosk, four clerks, the health probe and the RSS watch, each on its own thread."""

    def __init__(self, stack: Stack, tokens: list[str], kiosk_token: str):
        self.stack, self.tokens, self.kiosk_token = stack, tokens, kiosk_token
        self.stop = threading.Event()
        self.reset()
        self.threads = [threading.Thread(target=self.kiosk, daemon=True),
                        threading.Thread(target=self.health, daemon=True),
                        threading.Thread(target=self.watch, daemon=True)]  # fmt: skip
        self.threads += [
            threading.Thread(target=self.clerk, args=(i + 1, t), daemon=True)
            for i, t in enumerate(tokens)
        ]
        for t in self.threads:
            t.start()

    def reset(self) -> None:
        self.kiosk_ms, self.kiosk_fail, self.next_ms, self.rss_peak = [], 0, [], 0.0
        self.health_ok, self.health_n = 0, 0

    def _post(self, conn, path: str, body: bytes, headers: dict) -> tuple[int, float]:
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        return r.status, (time.perf_counter() - t0) * 1000

    def kiosk(self) -> None:
        conn, i = None, 0
        while not self.stop.is_set():
            t_next = time.monotonic() + 1.0
            body = json.dumps({"service": SERVICES[i % 3]}).encode()
            i += 1
            try:
                conn = conn or http.client.HTTPConnection(
                    "127.0.0.1", self.stack.port, timeout=5, source_address=(KIOSK_ADDR, 0)
                )
                st, ms = self._post(conn, "/api/tickets", body, {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.kiosk_token}"})  # fmt: skip
                if st == 201:
                    self.kiosk_ms.append(ms)
                else:
                    self.kiosk_fail += 1
            except OSError:
                self.kiosk_fail += 1
                conn = None
            time.sleep(max(0.0, t_next - time.monotonic()))

    def clerk(self, counter: int, token: str) -> None:
        conn = None
        headers = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
        while not self.stop.is_set():
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=5)
                st, ms = self._post(conn, f"/api/counters/{counter}/next", b"", headers)
                if st in (200, 204):
                    self.next_ms.append(ms)
            except OSError:
                conn = None
            time.sleep(3.0)

    def health(self) -> None:
        while not self.stop.is_set():
            ok = False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=2)
                c.request("GET", "/api/health")
                ok = c.getresponse().status == 200
            except OSError:
                pass
            self.health_n, self.health_ok = self.health_n + 1, self.health_ok + ok
            time.sleep(1.0)

    def watch(self) -> None:
        while not self.stop.is_set():
            try:
                self.rss_peak = max(self.rss_peak, rss_mb(self.stack.worker))
            except OSError:
                pass
            time.sleep(0.2)


def flood(port: int, seconds: float, addresses: int = 50, threads: int = 8) -> int:
    """Anonymous issuing as fast as it goes from `addresses` machines; numbers taken."""
    taken = [0] * threads
    end = time.monotonic() + seconds

    def run(k: int) -> None:
        conns: dict[str, http.client.HTTPConnection] = {}
        mine = [attacker(i) for i in range(k, addresses, threads)]
        body = json.dumps({"service": "hotich"}).encode()
        n = 0
        while time.monotonic() < end:
            addr = mine[n % len(mine)]
            n += 1
            try:
                c = conns.get(addr) or http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=5, source_address=(addr, 0)
                )
                conns[addr] = c
                c.request("POST", "/api/tickets", body=body,
                          headers={"Content-Type": "application/json"})  # fmt: skip
                r = c.getresponse()
                r.read()
                taken[k] += r.status == 201
            except OSError:
                conns.pop(addr, None)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
    return sum(taken)


def idle_sockets(port: int, count: int, addresses: int, hold_s: float) -> str:
    """Open `count` websockets (upgrade, then silence) from `addresses` machines; hold them."""
    req = (b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
           b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")  # fmt: skip
    held, codes = [], {}

    def one(i: int):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                         source_address=(attacker(i % addresses), 0))  # fmt: skip
            s.sendall(req)
            head = s.recv(200).split(b" ", 2)
            code = head[1].decode() if len(head) > 1 else "closed"
        except OSError:
            return "error", None
        if code == "101":
            return code, s
        s.close()
        return code, None

    with ThreadPoolExecutor(50) as pool:
        for code, s in pool.map(one, range(count)):
            codes[code] = codes.get(code, 0) + 1
            if s is not None:
                held.append(s)
    time.sleep(hold_s)
    for s in held:
        s.close()
    return ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))


def slowloris(port: int, count: int, hold_s: float) -> str:
    """`count` connections that send half a header, then a byte now and then."""
    held = []
    for i in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                         source_address=(attacker(i % 50), 0))  # fmt: skip
            s.sendall(b"POST /api/tickets HTTP/1.1\r\nHost: x\r\n")
            held.append(s)
        except OSError:
            pass
    end, dropped = time.monotonic() + hold_s, 0
    while time.monotonic() < end:
        time.sleep(3)
        for s in list(held):
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                held.remove(s)
                dropped += 1
    for s in held:
        s.close()
    return f"opened {count}, dropped by the server within {hold_s:.0f} s: {dropped}"


def logins(port: int, count: int) -> str:
    """`count` parallel wrong passwords (the demo clerk's name) from 50 machines."""
    codes: dict[int, int] = {}
    barrier = threading.Barrier(count)

    def one(i: int) -> int:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                           source_address=(attacker(i % 50), 0))  # fmt: skip
            c.request("GET", "/login")
            r = c.getresponse()
            page = r.read().decode()
            cookie = r.getheader("Set-Cookie", "").split(";")[0]
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            form = f"name=canbo1&password=wrong{i}&csrf_token={token[1] if token else ''}"
            barrier.wait(30)
            c.request("POST", "/login", body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})  # fmt: skip
            r = c.getresponse()
            r.read()
            return r.status
        except (OSError, threading.BrokenBarrierError):
            return 0

    with ThreadPoolExecutor(count) as pool:
        for st in pool.map(one, range(count)):
            codes[st] = codes.get(st, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))


def phase(office: Office, name: str, min_s: float, attack, *args) -> dict:
    """Run one attack; the office's figures cover at least `min_s` from its start."""
    office.reset()
    t0 = time.monotonic()
    detail = attack(*args)
    time.sleep(max(0.0, min_s - (time.monotonic() - t0)))
    taken = detail if isinstance(detail, int) else 0
    k = office.kiosk_ms
    total = len(k) + office.kiosk_fail
    return {
        "attack": name, "detail": f"{detail} taken" if isinstance(detail, int) else detail or "",
        "kiosk_ok_pct": 100.0 * len(k) / total if total else float("nan"),
        "kiosk_p50_ms": statistics.median(k) if k else float("nan"),
        "kiosk_p99_ms": pct(k, 99), "taken": taken,
        "next_p50_ms": statistics.median(office.next_ms) if office.next_ms else float("nan"),
        "next_p99_ms": pct(office.next_ms, 99), "rss_peak_mb": office.rss_peak,
        "health": f"{office.health_ok}/{office.health_n}",
    }  # fmt: skip


def report(rows: list[dict], label: str) -> None:
    print(f"\n== {label}")
    print(f"{'attack':<24} {'kiosk ok':>8} {'p50 ms':>7} {'p99 ms':>7} {'taken':>6} "
          f"{'Next p50':>8} {'Next p99':>8} {'RSS MB':>7} {'health':>7}  detail")  # fmt: skip
    for r in rows:
        print(f"{r['attack']:<24} {r['kiosk_ok_pct']:>7.1f}% {r['kiosk_p50_ms']:>7.1f} "
              f"{r['kiosk_p99_ms']:>7.1f} {r['taken']:>6} {r['next_p50_ms']:>8.1f} "
              f"{r['next_p99_ms']:>8.1f} {r['rss_peak_mb']:>7.1f} {r['health']:>7}  "
              f"{r['detail']}")  # fmt: skip
    sys.stdout.flush()


def sign_in(port: int, counter: int, token: str) -> None:
    """A clerk signs in at their counter, as the console does (least privilege)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", f"/api/counters/{counter}/sign-in",
              headers={"Authorization": f"Bearer {token}", "Content-Length": "0"})  # fmt: skip
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status


def run(args, cgroup: Cgroup | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), cgroup)
        try:
            tokens = []
            for i in range(1, 5):
                stack.flask("user", "add", f"quay{i}", "--role", "clerk", "--password", "secret123")
                tokens.append(stack.flask("user", "token", f"quay{i}").strip().splitlines()[-1])
                sign_in(stack.port, i, tokens[-1])
            kiosk = stack.flask("device", "add", "kiosk-sanh", "--kind", "kiosk")
            office = Office(stack, tokens, kiosk.strip().splitlines()[-1])
            p = stack.port
            h = args.hold_s
            rows = [phase(office, "none (baseline)", h, time.sleep, h)]
            rows.append(
                phase(office, f"issue flood {args.flood_s:.0f} s", h, flood, p, args.flood_s)
            )
            rows.append(phase(office, "1000 sockets, 1 addr", h, idle_sockets, p, 1000, 1, h))
            rows.append(phase(office, "1000 sockets, 50 addrs", h, idle_sockets, p, 1000, 50, h))
            rows.append(phase(office, "100 slowloris", h, slowloris, p, 100, h))
            rows.append(phase(office, "200 parallel logins", h, logins, p, 200))
            office.stop.set()
            return rows
        finally:
            stack.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pi", action="store_true", help="also run with the server in a 30%% core")
    ap.add_argument("--only-pi", action="store_true", help="only the Raspberry Pi-class budget")
    ap.add_argument("--flood-s", type=float, default=30)
    ap.add_argument("--hold-s", type=float, default=15)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    print(
        f"hall_abuse: {os.cpu_count()} cores; targets: kiosk 100% and p99 < 300 ms, "
        "0 numbers taken, RSS < 150 MB, health answering"
    )
    if not args.only_pi:
        report(run(args, None), "full machine")
    if args.pi or args.only_pi:
        cg = Cgroup()
        try:
            report(run(args, cg), f"Raspberry Pi-class budget: {cg.kind}")
        finally:
            cg.remove()


if __name__ == "__main__":
    main()
