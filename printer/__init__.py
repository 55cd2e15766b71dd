"""Ticket printing: layout (Pillow), ESC/POS adapters (python-escpos) and the print worker."""

from __future__ import annotations

from collections.abc import Callable


def init_app(app, ext, url_for: Callable[[dict], str]):
    """Start the print worker for `[printer]`, its health probe, routes and CLI."""
    from . import cli, views
    from .worker import PrintWorker

    worker = PrintWorker(ext.queue, ext.settings["printer"], ext.data_dir, url_for).start()
    ext.devices.printer = worker
    ext.health["printer"] = worker.health
    app.register_blueprint(views.bp)
    cli.init_app(app)
    # print_failed reaches staff through the /staff namespace (server.sockets); never the
    # public /display one, whose listeners must not learn ticket ids.
    return worker
