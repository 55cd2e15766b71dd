"""What is said when a ticket is called. The voice package supplies a richer one."""

from __future__ import annotations

from typing import Protocol


class Announcer(Protocol):
    def call(self, number: str, counter: int) -> dict:
        """Return {"text": sentence, "audio": [url, ...]} for calling `number` to `counter`."""


def spell(number: str) -> str:
    """'A012' -> 'A 0 1 2': read digit by digit, the robust default."""
    return " ".join(number)


class TextAnnouncer:
    """Vietnamese sentence only, no audio: used until a voice is configured."""

    template = "Mời công dân có số thứ tự {number} đến quầy số {counter}"

    def call(self, number: str, counter: int) -> dict:
        return {"text": self.template.format(number=spell(number), counter=counter), "audio": []}
