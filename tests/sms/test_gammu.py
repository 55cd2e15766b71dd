"""GammuGateway against the real gammu-smsd, driving Gammu's own dummy device (no modem):
the files service's outbox is fed with gammu-smsd-inject, the outcome read from its folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sms.gateways import SENT, GammuGateway, GatewayError
from tests.sms.conftest import PHONE, add_dossier, close, make_app, ready, rows, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("gammu-smsd") is None, reason="scripts/setup.sh installs it"),
]


def smsdrc(root: Path) -> Path:
    """A gammu-smsd config: the dummy driver keeps its phone's state as files under `device`."""
    for name in ("device", "inbox", "outbox", "sent", "error"):
        (root / name).mkdir(parents=True, exist_ok=True)
    path = root / "smsdrc"
    path.write_text(
        f"[gammu]\ndevice = {root}/device\nmodel = dummy\nconnection = none\n\n"
        f"[smsd]\nservice = files\ninboxpath = {root}/inbox/\noutboxpath = {root}/outbox/\n"
        f"sentsmspath = {root}/sent/\nerrorsmspath = {root}/error/\n"
        f"logfile = {root}/smsd.log\ndebuglevel = 0\ncommtimeout = 1\nloopsleep = 1\n"
        "statusfrequency = 0\nreceivefrequency = 3600\ncheckbattery = 0\ncheckSignal = 0\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def smsd(tmp_path):
    """The real gammu-smsd on the dummy device; its config's path."""
    config = smsdrc(tmp_path / "gammu")
    proc = subprocess.Popen(
        ["gammu-smsd", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    yield config
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def backup_message(path: Path) -> tuple[str, str]:
    """(number, text) of a gammu .smsbackup file: its parts by their UDH, in order (the sent
    copy repeats a part once per part sent; the last copy of each counts)."""
    number, parts, current = "", {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = (x.strip() for x in line.partition("="))
        if line.startswith("[SMSBackup"):
            current = {"udh": "", "text": []}
        elif current is None:
            continue
        elif key == "Number":
            number = value.strip('"')
        elif key == "UDH":
            current["udh"] = value
        elif key.startswith("Text"):
            current["text"].append(bytes.fromhex(value).decode("utf-16-be"))
        elif key == "Length":
            parts[current["udh"]] = "".join(current["text"])
    return number, "".join(parts[k] for k in sorted(parts))


def test_a_message_reaches_the_sent_folder_and_is_tidied_away(smsd):
    gateway = GammuGateway(smsd)
    text = "Ket qua ho so HS-2026.0001 da co. Moi ong/ba den nhan tai UBND xa " + "x" * 120
    gateway_id = gateway.send(PHONE, text)
    sent = smsd.parent / "sent" / gateway_id
    assert wait_for(sent.exists, timeout=20), (smsd.parent / "smsd.log").read_text()
    assert backup_message(sent) == (PHONE, text)  # longer than one part: still one message
    assert gateway.status(gateway_id) == SENT
    assert not sent.exists()  # the number and the text do not stay in gammu's folders
    assert gateway.health()["status"] == "ok"


def test_unicode_text_is_sent_as_ucs2(smsd):
    gateway = GammuGateway(smsd)
    gateway_id = gateway.send(PHONE, "Kết quả hồ sơ đã có")
    sent = smsd.parent / "sent" / gateway_id
    assert wait_for(sent.exists, timeout=20)
    assert backup_message(sent) == (PHONE, "Kết quả hồ sơ đã có")
    assert "Unicode" in sent.read_text(encoding="utf-8")


def test_a_dossier_ready_leaves_through_gammu_smsd(tmp_path, smsd, caplog):
    app = make_app(tmp_path, gateway="gammu", gammu_config=str(smsd))
    ext = app.extensions["onestop"]
    try:
        add_dossier(ext, "GAMMU0001")
        ready(ext, "GAMMU0001")
        assert wait_for(lambda: [r["state"] for r in rows(ext)] == ["sent"], timeout=30)
        (row,) = rows(ext)
        assert row["phone"] == "" and PHONE not in (row["gateway_id"] or "")
        assert "Transmitted" in (smsd.parent / "smsd.log").read_text()
        assert list((smsd.parent / "sent").iterdir()) == []
        assert app.test_client().get("/api/health").get_json()["checks"]["sms"]["sent"] == 1
    finally:
        close(app)
    assert PHONE not in caplog.text


def test_a_missing_config_is_a_temporary_error(tmp_path):
    gateway = GammuGateway(tmp_path / "nowhere")
    with pytest.raises(GatewayError) as e:
        gateway.send(PHONE, "x")
    assert e.value.temporary and PHONE not in e.value.message
    assert gateway.health()["status"] == "error"


def test_the_modem_s_error_folder_is_a_failed_try(smsd):
    gateway = GammuGateway(smsd)
    name = "OUTC20261201_090000_00_" + "x" * 3 + "_sms0.smsbackup"
    (smsd.parent / "error" / name).write_text("; failed\n", encoding="utf-8")
    assert gateway.status(name) == "failed"
    assert gateway.status("OUTC_never_injected.smsbackup") == "pending"


def test_files_older_than_the_retention_are_swept(tmp_path):
    config = smsdrc(tmp_path / "gammu")  # no daemon: the modem was away all along
    old = tmp_path / "gammu/outbox/OUTC20260901_090000_00_0901234567_sms0.smsbackup"
    new = tmp_path / "gammu/outbox/OUTC20261201_090000_00_0901234567_sms0.smsbackup"
    for path in (old, new):
        path.write_text("; a message\n", encoding="utf-8")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    assert GammuGateway(config).sweep(30 * 86400) == 1
    assert not old.exists() and new.exists()
