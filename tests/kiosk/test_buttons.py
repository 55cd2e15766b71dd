"""Physical buttons through gpiozero's mock pins: same issuing path as the touch kiosk."""

from __future__ import annotations

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.buttons import REPEAT_GUARD_S, GpioButtons
from server.app import create_app
from tests.helpers import site_config
from tests.printer.escpos_bytes import parse

BUTTONS = [
    {"pin": 17, "service": "hotich", "priority": False},
    {"pin": 27, "service": "chungthuc", "priority": True},
]


class Ticker:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()


@pytest.fixture
def ticker():
    return Ticker()


@pytest.fixture
def buttons(onestop, factory, ticker):
    b = GpioButtons(onestop.queue, BUTTONS, "kiosk-cua-chinh", pin_factory=factory,
                    bounce_time=None, monotonic=ticker)  # fmt: skip
    yield b
    b.close()


def press(factory, pin: int) -> None:
    factory.pin(pin).drive_low()  # pull-up: pressed pulls the line low
    factory.pin(pin).drive_high()


def waiting(client) -> dict:
    return client.get("/api/queue").get_json()["waiting"]


def test_a_press_issues_a_ticket_of_its_procedure(buttons, factory, client):
    press(factory, 17)
    press(factory, 27)
    assert waiting(client)["hotich"] == 1
    assert waiting(client)["chungthuc"] == 1
    rows = (
        client.application.extensions["onestop"]
        .store.reader()
        .execute("SELECT service, priority, kiosk FROM tickets ORDER BY issued_at, n")
        .fetchall()
    )
    assert sorted(tuple(r) for r in rows) == [("chungthuc", 1, "kiosk-cua-chinh"),
                                              ("hotich", 0, "kiosk-cua-chinh")]  # fmt: skip
    assert buttons.health() == {"status": "ok", "buttons": 2, "issued": 2, "last_error": None}


def test_a_quick_second_press_is_the_same_request(buttons, factory, client, ticker):
    press(factory, 17)
    ticker.t += 0.3
    press(factory, 17)
    assert waiting(client)["hotich"] == 1
    ticker.t += REPEAT_GUARD_S
    press(factory, 17)
    assert waiting(client)["hotich"] == 2


class TestClosed:
    @pytest.fixture
    def config(self):
        return site_config(office={"enforce_hours": True})

    def test_a_press_outside_hours_issues_nothing(self, buttons, factory, client, clock):
        clock.set("2026-11-30 20:00")
        press(factory, 17)
        assert waiting(client)["hotich"] == 0
        assert buttons.last_error == "service_closed"


def test_buttons_started_from_config_print_like_the_kiosk(tmp_path, clock, factory):
    config = site_config(
        kiosk={"gpio": True, "id": "kiosk-nut", "buttons": [{"pin": 22, "service": "datdai"}]},
        printer={"type": "file"},
    )
    Device.pin_factory = factory
    try:
        app = create_app({"DATA_DIR": tmp_path, "CONFIG": config, "CLOCK": clock, "TESTING": True})
        e = app.extensions["onestop"]
        press(factory, 22)
        e.queue.drain()
        assert e.devices.printer.wait_idle()
        (job,) = parse((tmp_path / "printer.bin").read_bytes())
        assert job.cut
        (t,) = e.queue.line.waiting_list(["datdai"])
        assert t["kiosk"] == "kiosk-nut" and t["number"] == "C001"
        health = app.test_client().get("/api/health").get_json()["checks"]["buttons"]
        assert health["status"] == "ok" and health["issued"] == 1
        e.devices.buttons.close()
        e.store.close()
    finally:
        Device.pin_factory = None


def test_no_gpio_on_this_machine_is_reported_not_fatal(tmp_path, clock, monkeypatch):
    import gpiozero

    def broken(*a, **kw):
        raise gpiozero.BadPinFactory("Unable to load any default pin factory!")

    monkeypatch.setattr(gpiozero, "Button", broken)
    config = site_config(kiosk={"gpio": True, "buttons": [{"pin": 22, "service": "datdai"}]})
    app = create_app({"DATA_DIR": tmp_path, "CONFIG": config, "CLOCK": clock, "TESTING": True})
    client = app.test_client()
    assert client.get("/kiosk").status_code == 200
    health = client.get("/api/health").get_json()["checks"]["buttons"]
    assert health["status"] == "error" and "pin factory" in health["message"]
    app.extensions["onestop"].store.close()
