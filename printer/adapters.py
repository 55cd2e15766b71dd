"""Printer connections: python-escpos' own classes, chosen by `[printer] type`.

Hardware libraries (pyusb, pyserial, pycups) are imported only when their type is
configured, so the app and the tests run on machines without libusb or a serial port.
"""

from __future__ import annotations

import copy
import fcntl
import logging
import os
import shutil
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from escpos.escpos import Escpos
from escpos.printer import Dummy, File, Network

from .layout import WIDTHS

log = logging.getLogger(__name__)

TYPES = ("usb", "network", "serial", "cups", "file", "none")
# The demo file printer keeps appending jobs; past this size the file is rotated to .1.
FILE_ROTATE_BYTES = 20 * 1024 * 1024
# DLE EOT n: real-time status requests, answered with one byte.
RT_PRINTER = b"\x10\x04\x01"
RT_OFFLINE = b"\x10\x04\x02"
RT_PAPER = b"\x10\x04\x04"
STATUS_TIMEOUT_S = 0.5


class PrinterError(Exception):
    """A print job could not be delivered; `reason` is a short code for the event log."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


@dataclass
class Status:
    """What the printer said about itself; None where it could not say (a hint only)."""

    online: bool | None = None
    paper: str | None = None  # "ok", "low", "out"

    def as_dict(self) -> dict:
        return {"online": self.online, "paper": self.paper}


class AppendFile(File):
    """escpos.printer.File that appends (File truncates on open) and rotates a large file."""

    def open(self, raise_not_found: bool = True) -> None:
        path = Path(self.devfile)
        if path.is_file() and path.stat().st_size > FILE_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.device = open(self.devfile, "ab")  # noqa: SIM115 - closed by close()
        except OSError as e:
            self.device = None
            raise PrinterError("offline", f"cannot open {self.devfile}: {e}") from e


class NetworkPrinter(Network):
    """escpos.printer.Network that waits until the printer has taken the whole job.

    The kernel accepts a ticket's bytes into its send buffer at once, so a stuck printer
    would look like a printed ticket. Waiting for the send queue (SIOCOUTQ, Linux) to empty
    means the printer's own TCP stack has acknowledged every byte.
    """

    def drain(self) -> None:
        deadline = time.monotonic() + (self.timeout or 5.0)
        while True:
            try:
                raw = fcntl.ioctl(self.device.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            except (OSError, AttributeError):
                return  # not Linux: trust sendall
            left = struct.unpack("i", raw)[0]
            if left == 0:
                return
            if time.monotonic() > deadline:
                raise PrinterError("timeout", f"the printer did not take {left} bytes")
            time.sleep(0.002)


class LpPrinter(Dummy):
    """CUPS without pycups: collect the job, hand it to `lp -o raw` in one go.

    escpos.printer.CupsPrinter needs pycups (a C extension built against libcups);
    `lp` is in every CUPS install, so it is used when pycups is missing.
    """

    def __init__(self, printer_name: str = "", timeout: float = 5.0, **kwargs):
        super().__init__(**kwargs)
        self.printer_name = printer_name
        self.timeout = timeout

    def flush_job(self) -> None:
        if shutil.which("lp") is None:
            raise PrinterError("offline", "the lp command is missing (install cups-client)")
        cmd = ["lp", "-o", "raw", "-t", "onestop-ticket"]
        if self.printer_name:
            cmd[1:1] = ["-d", self.printer_name]
        try:
            done = subprocess.run(
                cmd, input=self.output, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise PrinterError("timeout", "lp did not finish") from e
        if done.returncode != 0:
            msg = done.stderr.decode("utf-8", "replace").strip()
            raise PrinterError("offline", f"lp failed: {msg}")
        self.clear()


class FakePrinter(Dummy):
    """A recording printer for tests: keeps every job's bytes and answers status as told."""

    def __init__(self, online: bool = True, paper: str = "ok", fail: str | None = None, **kw):
        super().__init__(**kw)
        self.online, self.paper, self.fail = online, paper, fail
        self.jobs: list[bytes] = []

    def _raw(self, msg: bytes) -> None:
        if self.fail:
            raise PrinterError(self.fail, f"fake printer: {self.fail}")
        super()._raw(msg)

    def own_status(self) -> Status:
        """What this printer says of itself (see read_status)."""
        return Status(online=self.online, paper=self.paper)

    def flush_job(self) -> None:
        self.jobs.append(self.output)
        self.clear()


def _profile(printer: Escpos, width: int) -> None:
    """Give the profile the paper width (escpos checks images against it)."""
    data = copy.deepcopy(printer.profile.profile_data)
    data["media"]["width"]["pixels"] = width
    printer.profile.profile_data = data


def connect(cfg: dict, data_dir: Path, timeout: float | None = None) -> Escpos | None:
    """A new, unopened escpos printer for the config section `[printer]`; None for "none"."""
    kind = cfg["type"]
    timeout = cfg.get("timeout_s", 5.0) if timeout is None else timeout
    kw = {"profile": cfg.get("profile") or "default"}
    if kind == "none":
        return None
    if kind == "file":
        path = Path(cfg["path"])
        p = AppendFile(str(path if path.is_absolute() else Path(data_dir) / path), **kw)
    elif kind == "network":
        if not cfg.get("host"):
            raise PrinterError("config", "printer.host is empty")
        p = NetworkPrinter(cfg["host"], port=cfg.get("port", 9100), timeout=timeout, **kw)
    elif kind == "usb":
        from escpos.printer import Usb  # imports pyusb; libusb is needed only on open

        # The ids are ints: the config model (server/settings) parsed and checked them.
        p = Usb(cfg["usb_vendor"], cfg["usb_product"], timeout=int(timeout * 1000), **kw)
    elif kind == "serial":
        from escpos.printer import Serial

        p = Serial(cfg["serial_device"], baudrate=cfg["baudrate"], timeout=timeout, **kw)
    elif kind == "cups":
        try:
            import cups  # noqa: F401 - only to learn whether pycups is there
            from escpos.printer import CupsPrinter

            p = CupsPrinter(cfg.get("cups_printer") or "", **kw)
        except ImportError:
            p = LpPrinter(cfg.get("cups_printer") or "", timeout=timeout, **kw)
    else:
        raise PrinterError("config", f"unknown printer type {kind!r}")
    _profile(p, WIDTHS.get(cfg.get("paper_mm", 80), 576))
    return p


def can_read(printer: Escpos) -> bool:
    """Whether the connection can answer status requests (network, usb, serial, fake)."""
    if hasattr(printer, "own_status"):
        return True
    return type(printer)._read is not Escpos._read and not isinstance(printer, (File, Dummy))


def read_status(printer: Escpos) -> Status:
    """Ask the printer for online and paper state; unknown parts stay None (a hint)."""
    own = getattr(printer, "own_status", None)
    if own is not None:  # a connection that knows its state without asking over the wire
        return own()
    status = Status()
    if not can_read(printer):
        return status
    sock = printer.device  # opens the connection: failing here is a real error
    saved = sock.gettimeout() if hasattr(sock, "settimeout") else None
    usb_saved = getattr(sock, "default_timeout", None)  # pyusb: milliseconds
    try:
        # A printer that ignores DLE EOT must not stall the job.
        if hasattr(sock, "settimeout"):
            sock.settimeout(min(STATUS_TIMEOUT_S, saved or STATUS_TIMEOUT_S))
        if usb_saved is not None:
            sock.default_timeout = int(STATUS_TIMEOUT_S * 1000)
        printer._raw(RT_OFFLINE)
        answer = printer._read()
        if answer:
            # Bit 2 (0x04) cover open, bit 5 (0x20) stopped at paper end, bit 6 (0x40) error.
            status.online = not (answer[0] & 0x64)
        printer._raw(RT_PAPER)
        answer = printer._read()
        if answer:
            if answer[0] & 0x60 == 0x60:
                status.paper = "out"
            elif answer[0] & 0x0C == 0x0C:
                status.paper = "low"
            else:
                status.paper = "ok"
    except Exception as e:  # status is a hint: a printer that cannot answer still may print
        log.info("printer status not available: %s", e)
    finally:
        if hasattr(sock, "settimeout"):
            sock.settimeout(saved)
        if usb_saved is not None:
            sock.default_timeout = usb_saved
    return status


def send_image(printer: Escpos, image) -> None:
    """One job: initialise, the image as GS v 0 raster, feed and cut, then deliver."""
    printer._raw(b"\x1b\x40")  # ESC @: a clean state whatever the last job left
    printer.image(image, impl="bitImageRaster", center=False)
    printer.cut()
    flush = getattr(printer, "flush_job", None) or getattr(printer, "send", None)
    if flush:  # LP / CUPS / fake: the job leaves here
        flush()
    elif hasattr(printer, "flush"):
        printer.flush()
    if hasattr(printer, "drain"):
        printer.drain()
