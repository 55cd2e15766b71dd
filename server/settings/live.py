"""The rules a change of the running office must follow besides the file's (ext.config)."""

from __future__ import annotations

from core.model import Office

from .fields import ConfigError


def check_numbers(issued: set[str], last: dict[str, int], old: Office, new: Office, path="config"):
    """A procedure's next numbers today must not repeat one already issued today.

    `issued`: today's ticket numbers; `last`: how many each procedure drew today. A changed
    prefix or first number is refused if it would; it can wait for the next office day.
    """
    if not issued:
        return
    for i, svc in enumerate(new.services):
        before = old.service(svc.code)
        same = before is not None and (before.prefix, before.range_start, before.digits) == (
            svc.prefix, svc.range_start, svc.digits)  # fmt: skip
        if same:
            continue
        start = last.get(svc.code, 0) + 1
        clash = next((n for n in range(start, svc.capacity + 1) if svc.label(n) in issued), None)
        if clash is not None:
            field = "prefix" if before is None or before.prefix != svc.prefix else "range_start"
            raise ConfigError(path, f"services[{i}].{field}",
                              f"number {svc.label(clash)} was already issued today; change the "
                              "numbering from the next office day")  # fmt: skip


def check_retired(waiting: dict[str, int], held: dict[int, str], new: Office, counters: list,
                  path="config"):  # fmt: skip
    """A procedure retired while citizens wait for it, or a counter closed or removed while
    it holds a ticket, would strand them: refused until the line or the ticket is dealt with.

    `waiting`: citizens waiting per procedure; `held`: counter number -> its ticket's
    number; `counters`: the new [[counters]] tables (to name the field).
    """
    for code, n in waiting.items():
        if n and new.service(code) is None:
            raise ConfigError(path, "services", f"{n} citizen(s) wait for {code!r}: transfer "
                              "them or let the day end before retiring it")  # fmt: skip
    for number, ticket in held.items():
        if new.counter(number) is None:
            i = next((i for i, c in enumerate(counters) if c["number"] == number), None)
            field = "counters" if i is None else f"counters[{i}].closed"
            raise ConfigError(path, field, f"counter {number} holds {ticket}; finish or "
                              "transfer it before closing the counter")  # fmt: skip
