"""Progress bars for the long `flask` commands: drawn on a terminal, silent in the journal.

The long-running functions (backup, restore, summarize, simulate, voice warm) take an
optional `progress(done, total)` callback and know nothing of terminals; the commands get
one from `terminal_bar`. Under systemd (stderr is the journal, not a TTY) there is no
callback at all, so nothing is printed: not even the label line click's progress bar would
echo once when its file is not a terminal. The bar goes to stderr, so `flask ... > file`
still shows it on the terminal while the summary lines go to the file.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import click

Progress = Callable[[int, int], None]
"""progress(done, total): called after each step; `done` counts up to `total`."""


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


@contextlib.contextmanager
def terminal_bar(
    label: str, enabled: bool = True, show_pos: bool = True
) -> Iterator[Progress | None]:
    """A progress callback drawing a click progress bar on stderr, or None off a terminal.

    The bar is made at the first call, when the total is known; a changed total resizes it.
    Leaving the block ends the bar's line, so the command's summary starts on a fresh one.
    """
    stream = sys.stderr
    if not enabled or not _is_terminal(stream):
        yield None
        return
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=stream, show_pos=show_pos)
            bar.render_progress()
        bar.length = total
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.render_finish()
