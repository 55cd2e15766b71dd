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
