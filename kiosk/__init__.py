"""The citizen's side: the touch kiosk, physical buttons and the ticket status page."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def init_app(app, ext):
    """Register the kiosk pages, remember request addresses for QR codes, start GPIO buttons."""
    from flask import request

    from . import views
    from .links import Links

    links = Links(ext.settings["office"]["public_url"])
    app.extensions["onestop_links"] = links

    @app.before_request
    def _note_address():
        links.note(request.host_url)

    app.register_blueprint(views.bp)
    k = ext.settings["kiosk"]
    if k["gpio"] and ext.settings.buttons:
        from .buttons import GpioButtons

        try:
            buttons = GpioButtons(ext.queue, ext.settings.buttons, k["id"])
        except Exception as e:  # no GPIO on this machine: the touch kiosk still works
            log.error("GPIO buttons not started: %s", e)
            ext.health["buttons"] = lambda e=e: {"status": "error", "message": str(e)}
        else:
            ext.devices.buttons = buttons
            ext.health["buttons"] = buttons.health
    return links
