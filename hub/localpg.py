"""A throw-away PostgreSQL cluster in a directory (tests, benchmarks, scripts/hub.sh)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

BIN = Path(os.environ.get("ONESTOP_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """initdb + pg_ctl as the `postgres` user when run as root (PostgreSQL refuses root)."""

    def __init__(self, root: Path, port: int | None = None):
        self.root = Path(root)
        self.data = self.root / "pgdata"
        self.sock = self.root / "sock"
        self.port = port or _free_port()
        self.url = f"postgresql://postgres@/onestop_hub?host={self.sock}&port={self.port}"

    def _run(self, *args: str) -> None:
        cmd = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode:
            raise RuntimeError(f"{args[0]} failed: {out.stderr.strip()[-2000:]}")

    def init(self) -> LocalPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        return self

    def start(self) -> LocalPostgres:
        opts = (f"-p {self.port} -k {self.sock} -c listen_addresses='' -c fsync=on "
                "-c shared_buffers=128MB -c max_connections=50")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "pg.log"),
                  "-w", "start")  # fmt: skip
        return self

    def createdb(self, name: str = "onestop_hub") -> str:
        self._run("createdb", "-h", str(self.sock), "-p", str(self.port), "-U", "postgres", name)
        return self.url.replace("/onestop_hub?", f"/{name}?")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


if __name__ == "__main__":  # python -m hub.localpg DIR PORT: init (once), start, print the URL
    import sys

    pg = LocalPostgres(Path(sys.argv[1]), int(sys.argv[2])).init()
    if not (pg.data / "postmaster.pid").exists():
        pg.start()
    print(pg.url)
