"""Every key of site.toml: type, default, help and rules. README's table is made from this."""

from __future__ import annotations

from .fields import (
    REQUIRED,
    Setting,
    code,
    http_url,
    not_empty,
    prefix,
    regex,
    time_set,
    time_zone,
    voice_template,
)

ENGINES = ("gtts", "espeak", "espeak-ng")  # text-to-speech engines; espeak-ng = espeak
LANGUAGES = ("vi", "en")  # languages the screens and the voice know
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)

# Sections of scalar settings. Array sections ([[services]] etc.) are in ITEMS below.
SECTIONS: dict[str, dict[str, Setting]] = {
    "office": {
        "name": Setting(
            str, REQUIRED, "Office name, shown on every screen and ticket.", required=True,
            check=not_empty,
        ),
        "name_en": Setting(str, "", "Office name in English."),
        "address": Setting(str, "", "Postal address, printed on tickets."),
        "hotline": Setting(str, "", "Phone number citizens can call, printed on tickets."),
        "timezone": Setting(
            str, "Asia/Ho_Chi_Minh", "Time zone of the office.", check=time_zone
        ),
        "day_starts_at": Setting(
            int, 0, "Hour at which ticket numbers restart.", lo=0, hi=23
        ),
        "enforce_hours": Setting(bool, True, "Refuse tickets outside each procedure's hours."),
        "public_url": Setting(
            str, "",
            "Base URL phones reach the server at (for QR codes); empty: the request's host.",
            check=http_url,
        ),
        "language": Setting(str, "vi", "Default language of screens.", choices=LANGUAGES),
        "target_share_pct": Setting(
            int, 80, "Goal: share of citizens (%) called within the target wait.", lo=1, hi=100
        ),
        "closing_time": Setting(
            "time", "17:30", "Local time the day is closed and summarised.", check=time_set
        ),
    },
    "kiosk": {
        "id": Setting(
            str, "kiosk-1", "Identifies this kiosk on tickets and in the log.", check=not_empty
        ),
        "return_after_s": Setting(
            int, 8, "Seconds the issued number stays on screen.", lo=1, hi=120
        ),
        "priority_categories": Setting(
            "str_list",
            [
                "Người cao tuổi",
                "Người khuyết tật",
                "Phụ nữ mang thai",
                "Trẻ em dưới 6 tuổi",
                "Người có công với cách mạng",
            ],
            "Who may take a priority ticket (shown on the kiosk).",
        ),
        "priority_categories_en": Setting(
            "str_list",
            [
                "Elderly",
                "People with disabilities",
                "Pregnant women",
                "Children under 6",
                "People with meritorious services",
            ],
            "The same list in English.",
        ),
        "gpio": Setting(bool, False, "Read physical buttons (gpiozero) on this machine."),
    },
    "printer": {
        "type": Setting(
            str, "file", "Printer connection.",
            choices=("usb", "network", "serial", "cups", "file", "none"),
        ),
        "paper_mm": Setting(
            int, 80, "Paper width in mm: 58 (384 dots) or 80 (576 dots).", choices=(58, 80)
        ),
        "path": Setting(
            str, "printer.bin", "file: where raw ESC/POS bytes go (relative to the data dir).",
            check=not_empty,
        ),
        "usb_vendor": Setting("usb_id", "0x0416", "usb: vendor id (hex, from lsusb)."),
        "usb_product": Setting("usb_id", "0x5011", "usb: product id (hex, from lsusb)."),
        "host": Setting(str, "", "network: printer address (required for network)."),
        "port": Setting(int, 9100, "network: TCP port.", lo=1, hi=65535),
        "serial_device": Setting(str, "/dev/ttyUSB0", "serial: device path."),
        "baudrate": Setting(int, 19200, "serial: speed.", choices=BAUDRATES),
        "cups_printer": Setting(str, "", "cups: queue name."),
        "timeout_s": Setting(
            float, 5.0, "Give up on one print job after this many seconds.", lo=0.5, hi=60
        ),
        "profile": Setting(str, "default", "python-escpos capability profile.", check=not_empty),
    },
    "voice": {
        "enabled": Setting(bool, True, "Announce calls by voice."),
        "engines": Setting(
            "str_list", ["gtts", "espeak"], "Text-to-speech engines, in order of preference.",
            each=ENGINES, unique=True,
        ),
        "languages": Setting(
            "str_list", ["vi"], "Languages announced, in order.", each=LANGUAGES, unique=True
        ),
        "template_vi": Setting(
            str, "Mời công dân có số thứ tự {number} đến quầy số {counter}",
            "Vietnamese sentence.", check=voice_template,
        ),
        "template_en": Setting(
            str, "Ticket number {number}, please go to counter {counter}",
            "English sentence.", check=voice_template,
        ),
        "numbers": Setting(
            str, "digits", "Read numbers digit by digit or in words.", choices=("digits", "words")
        ),
        "repeat": Setting(int, 1, "How many times each call is spoken.", lo=1, hi=5),
        "gtts_timeout_s": Setting(float, 3.0, "Timeout of one gTTS request.", lo=0.5, hi=60),
        "warm_on_start": Setting(bool, True, "Render missing phrases in the background at start."),
        "server_playback": Setting(
            bool, False, "Also play calls on the server's own audio output."
        ),
        "player": Setting(str, "aplay", "Command used for server playback.", check=not_empty),
        "mp3_player": Setting(
            str, "mpg123 -q", "Command used for server playback of MP3.", check=not_empty
        ),
        "dialect": Setting(
            str, "north", "Number words: north (linh, nghìn) or south (lẻ, ngàn).",
            choices=("north", "south"),
        ),
        "gtts_interval_s": Setting(
            float, 1.0, "Least time between two gTTS requests.", lo=0, hi=60
        ),
        "espeak_speed": Setting(
            int, 140, "espeak-ng speaking rate in words per minute.", lo=80, hi=450
        ),
    },
    "display": {
        "recent_calls": Setting(int, 8, "How many past calls the lobby shows.", lo=1, hi=50),
        "flash_s": Setting(int, 6, "Seconds a new call flashes (0: no flashing).", lo=0, hi=60),
        "notice_rotate_s": Setting(
            int, 12, "Seconds each public notice stays.", lo=3, hi=600
        ),
    },
    "backup": {
        "keep": Setting(int, 14, "How many daily backups `flask backup` keeps.", lo=1, hi=365),
        "dir": Setting(str, "", "Where backups go; empty: backups/ in the data dir."),
        "time": Setting(
            "time", "", "Local time of the daily backup; empty: 30 min after closing_time."
        ),
    },
    "hub": {
        "url": Setting(
            str, "", "Province hub to sync the log to; empty: no sync.", check=http_url
        ),
        "office_code": Setting(
            str, "", "This office's code at the hub (`office add CODE` there)."
        ),
        "token": Setting(str, "", "The sync token the hub printed for this office."),
        "batch": Setting(int, 1000, "Events sent per request to the hub.", lo=1, hi=20000),
        "interval_s": Setting(
            float, 5.0, "Seconds between syncs once caught up.", lo=0.1, hi=3600
        ),
        "max_backoff_s": Setting(
            float, 300.0, "Longest wait between retries while the hub fails.", lo=1, hi=86400
        ),
        "timeout_s": Setting(float, 15.0, "Seconds one request may take.", lo=1, hi=600),
    },
    "security": {
        "secure_cookies": Setting(
            bool, False, "Mark login cookies Secure (set when the site is served over HTTPS)."
        ),
        "behind_proxy": Setting(
            bool, False, "A reverse proxy on this machine forwards every request: believe its "
            "X-Real-IP header (only from a loopback peer) for the client's address.",
        ),
        "session_hours": Setting(
            float, 12, "A login lasts this long at most (hours), whatever the browser does.",
            lo=0.25, hi=24,
        ),
        "login_failures_per_account": Setting(
            int, 5, "Wrong passwords for one name before each try waits (doubling).", lo=1, hi=50
        ),
        "login_failures_per_address": Setting(
            int, 20, "Wrong passwords from one address in the window before it waits.",
            lo=1, hi=1000,
        ),
        "login_window_s": Setting(
            int, 300, "Window of the login counts (seconds).", lo=10, hi=86400
        ),
        "login_max_wait_s": Setting(
            int, 300, "Longest wait a name or address can be given (seconds).", lo=1, hi=3600
        ),
        "hash_concurrency": Setting(
            int, 1, "Password hashes computed at once (each takes ~16 MiB and a core).", lo=1, hi=8
        ),
    },
    "limits": {
        "enabled": Setting(bool, True, "Per-client limits on anonymous and device routes."),
        "issue_per_min": Setting(
            float, 4, "Tickets one anonymous address may take per minute.", lo=0.1, hi=6000
        ),
        "issue_burst": Setting(int, 3, "Tickets one anonymous address may take at once.",
                               lo=1, hi=1000),
        "issue_total_per_min": Setting(
            float, 30, "Tickets all anonymous addresses together may take per minute.",
            lo=0.1, hi=60000,
        ),
        "device_issue_per_min": Setting(
            float, 120, "Tickets one kiosk (token or this machine) may take per minute.",
            lo=1, hi=60000,
        ),
        "device_issue_burst": Setting(int, 30, "Tickets one kiosk may take at once.",
                                      lo=1, hi=10000),
        "status_per_min": Setting(
            float, 60, "Status page and ticket reads per minute from one address.",
            lo=1, hi=60000,
        ),
        "status_burst": Setting(int, 20, "Status reads one address may make at once.",
                                lo=1, hi=10000),
        "feedback_per_min": Setting(
            float, 6, "Ratings one address may send per minute.", lo=0.1, hi=6000
        ),
        "socket_connects_per_min": Setting(
            float, 30, "Socket handshakes per minute from one address.", lo=1, hi=60000
        ),
        "socket_connects_burst": Setting(
            int, 10, "Socket handshakes one address may make at once.", lo=1, hi=10000
        ),
        "sockets_per_address": Setting(
            int, 8, "Open websockets one address may hold.", lo=1, hi=10000
        ),
        "sockets_total": Setting(
            int, 128, "Open websockets in all (each holds a server thread).", lo=1, hi=100000
        ),
    },
    "dossiers": {
        "code_pattern": Setting(
            str, r"^[A-Z0-9.\-]{6,40}$",
            "Regular expression a dossier code must match (after upper-casing).",
            check=regex,
        ),
        "keep_phone_days": Setting(
            int, 30, "Days a citizen's phone number is kept after the result is returned.",
            lo=0, hi=365,
        ),
        "max_phone_days": Setting(
            int, 90, "Days a phone number is kept at most after the dossier was received.",
            lo=1, hi=730,
        ),
    },
}  # fmt: skip

ITEMS: dict[str, dict[str, Setting]] = {
    "services": {
        "code": Setting(
            str, REQUIRED, "Short id used in URLs and the API (unique).", required=True,
            check=code,
        ),
        "name": Setting(str, REQUIRED, "Vietnamese name.", required=True, check=not_empty),
        "name_en": Setting(str, "", "English name."),
        "prefix": Setting(
            str, REQUIRED, "Letter(s) before the number.", required=True, check=prefix
        ),
        "range_start": Setting(int, 1, "First number of the day.", lo=0, hi=9999),
        "range_end": Setting(
            int, 999, "Last number of the day (numbers of one prefix must not overlap).",
            lo=0, hi=9999,
        ),
        "target_wait_min": Setting(int, 15, "Target wait in minutes.", lo=1, hi=480),
        "service_min": Setting(
            int, 10, "Typical service time in minutes (until history exists).", lo=1, hi=480
        ),
        "fee": Setting(str, "", "Fees and charges, shown on the public notices."),
        "fee_en": Setting(str, "", "Fees in English."),
        "hours": Setting(
            "hours", {}, 'Opening sessions per day: mon..sun or weekdays = ["07:30-11:30", ...].'
        ),
        "kind": Setting(
            str, "normal", "return: the result-return procedure (at most one; not a kiosk "
            "button, reached by the collect-results screen).", choices=("normal", "return"),
        ),
    },
    "counters": {
        "number": Setting(
            int, REQUIRED, "Counter number (spoken and shown; unique).", required=True,
            lo=1, hi=999,
        ),
        "name": Setting(str, "", "Name; default 'Quầy N'."),
        "services": Setting(
            "str_list", REQUIRED, "Procedure codes served here (each a [[services]].code).",
            required=True, unique=True, check=not_empty,
        ),
        "closed": Setting(bool, False, "Closed: not on the displays, cannot call (its rows stay)."),
    },
    "displays": {
        "name": Setting(
            str, REQUIRED, "Display name, used as /display?name=... (unique).", required=True,
            check=not_empty,
        ),
        "counters": Setting(
            "int_list", [], "Only these counters (empty: all; each a [[counters]].number).",
            unique=True,
        ),
        "services": Setting(
            "str_list", [], "Only these procedures (empty: all; each a [[services]].code).",
            unique=True,
        ),
    },
    "notices": {
        "title": Setting(str, REQUIRED, "Heading.", required=True, check=not_empty),
        "title_en": Setting(str, "", "Heading in English."),
        "text": Setting(str, "", "Body text."),
        "text_en": Setting(str, "", "Body in English."),
    },
    "officials": {
        "name": Setting(str, REQUIRED, "Full name.", required=True, check=not_empty),
        "position": Setting(str, "", "Position, e.g. Công chức Tư pháp – Hộ tịch."),
        "phone": Setting(str, "", "Phone number."),
        "area": Setting(str, "", "What they are in charge of."),
    },
    "kiosk.buttons": {
        "pin": Setting(
            int, REQUIRED, "BCM GPIO pin of the button (unique).", required=True, lo=0, hi=27
        ),
        "service": Setting(
            str, REQUIRED, "Procedure code the button issues (a [[services]].code).",
            required=True,
        ),
        "priority": Setting(bool, False, "Issue a priority ticket."),
    },
}  # fmt: skip
