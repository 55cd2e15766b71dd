"""Screenshot of the recording page (/admin/voice) for docs/voice.md.

Usage: .venv/bin/python scripts/screenshots_voice.py [OUT_DIR]
A fresh data dir with the demo office (espeak-ng only), two segments recorded and saved,
one pending, and the preview of a call shown; real Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.helpers import LiveServer  # noqa: E402
from tests.voice.test_browser import CHROMIUM_ARGS, espeak_config  # noqa: E402
from tests.voice.test_recorded import LEAD, key_of, tone_wav  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="onestop-voice-shots-"))
    server = LiveServer(tmp / "live", config=espeak_config(tmp))
    server.data_dir.mkdir(parents=True)
    server.flask("voice", "warm")
    server.start()
    try:
        h = {"Authorization": f"Bearer {server.token('admin1', 'admin')}"}
        for text, save in ((LEAD, True), ("đến quầy số", True), ("hai", False)):
            url = f"{server.url}/api/admin/voice/segments/{key_of(text)}"
            r = requests.put(url, data=tone_wav(tone_s=0.9), timeout=10,
                             headers={**h, "Content-Type": "audio/wav"})  # fmt: skip
            assert r.status_code == 200, r.text
            if save:
                assert requests.post(url + "/save", headers=h, timeout=10).status_code == 200
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            # Playwright's waits evaluate strings, which the page's CSP forbids (as in the tests).
            page = browser.new_page(viewport={"width": 1366, "height": 900}, bypass_csp=True)
            page.goto(f"{server.url}/login?next=/admin/voice")
            page.fill("input[name=name]", "admin1")
            page.fill("input[name=password]", "secret123")
            page.click("button[type=submit]")
            page.wait_for_function("window.VoiceAdmin && VoiceAdmin.loaded === true")
            page.fill("#pv-number", "A012")
            page.click("#pv-play")
            page.wait_for_function("document.getElementById('pv-text').dataset.state === 'done'")
            page.screenshot(path=out / "voice-admin.png", full_page=True)
            browser.close()
    finally:
        server.stop()
    print(f"wrote {out / 'voice-admin.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
