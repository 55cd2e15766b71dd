"""Restart recovery: /display clients ride out a restart and a crash, end equal to /api/queue,
and announce no call twice."""

from __future__ import annotations

import pytest
import requests

from tests.faults.tools import DisplayModel, display_client, wait_for
from tests.helpers import LiveServer, sign_in

pytestmark = pytest.mark.slow

SCREENS = 3


def api_state(url: str) -> dict:
    snap = requests.get(url + "/api/queue", timeout=5).json()
    return {"seq": snap["seq"], "counters": snap["counters"], "waiting": snap["waiting"]}


class Desk:
    def __init__(self, url: str, token: str):
        self.url = url
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"
        self.calls: list[int] = []  # seq of every ticket_called the server committed

    def issue(self, service: str) -> dict:
        r = self.s.post(self.url + "/api/tickets", json={"service": service}, timeout=5)
        assert r.status_code == 201, r.text
        return r.json()["ticket"]

    def act(self, counter: int, action: str) -> requests.Response:
        sign_in(self.url, self.s.headers, counter)
        r = self.s.post(f"{self.url}/api/counters/{counter}/{action}", timeout=5)
        assert r.status_code in (200, 204), r.text
        if action in ("next", "recall") and r.status_code == 200:
            self.calls.append(api_state(self.url)["seq"])  # single-threaded: this call's seq
        return r

    def busy_minute(self) -> None:
        for service in ("hotich", "chungthuc", "datdai", "khac", "hotich", "ldtbxh"):
            self.issue(service)
        for counter in (1, 2, 3, 4):
            self.act(counter, "next")
        self.act(1, "recall")
        self.act(2, "start")
        self.act(2, "finish")


def converged(models, url) -> bool:
    want = api_state(url)
    return all(m.state() == want for m in models)


@pytest.mark.parametrize("how", ["restart", "crash"])
def test_displays_recover_after_server_restart(tmp_path, figures, how):
    server = LiveServer(tmp_path / "live").start()
    clients = []
    try:
        desk = Desk(server.url, server.token("desk", "clerk"))
        models = [DisplayModel() for _ in range(SCREENS)]
        clients = [display_client(server.url, m) for m in models]
        assert wait_for(lambda: all(m.snapshots for m in models))
        desk.busy_minute()
        assert wait_for(lambda: converged(models, server.url)), [m.state()["seq"] for m in models]
        connected_calls = list(desk.calls)

        if how == "restart":
            server.restart()
        else:
            server.kill()
            server.start()
        desk.busy_minute()  # right away: screens may still be reconnecting and miss these
        assert wait_for(lambda: all(m.connects >= 2 for m in models), timeout=20)
        assert wait_for(lambda: converged(models, server.url), timeout=10)

        before = len(desk.calls)
        desk.busy_minute()
        connected_calls += desk.calls[before:]
        assert wait_for(lambda: converged(models, server.url), timeout=10)
        final = api_state(server.url)
    finally:
        for c in clients:
            c.disconnect()
        server.stop()

    dups = sum(len(m.raw_called_seqs) - len(set(m.raw_called_seqs)) for m in models)
    dups += sum(len(m.announced) - len({c["seq"] for c in m.announced}) for m in models)
    figures(
        f"restart recovery ({how})",
        screens=SCREENS,
        calls_made=len(desk.calls),
        calls_announced_per_screen=[len(m.announced) for m in models],
        duplicates=dups,
        reconnects=[m.connects - 1 for m in models],
        final_seq=final["seq"],
    )
    for m in models:
        assert m.state() == final
        assert len(m.raw_called_seqs) == len(set(m.raw_called_seqs)), "a call was sent twice"
        spoken = [c["seq"] for c in m.announced]
        assert len(spoken) == len(set(spoken)), "a call was announced twice"
        # Screens see no ticket ids (they are the holders' keys); the number is unique per day.
        first_calls = [c["ticket"]["number"] for c in m.announced if not c["recall"]]
        assert len(first_calls) == len(set(first_calls)), "a ticket was called twice"
        heard = set(m.raw_called_seqs)
        missing = [s for s in connected_calls if s not in heard]
        assert not missing, f"calls made while connected were not received: {missing}"
