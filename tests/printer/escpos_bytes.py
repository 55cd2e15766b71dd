"""A strict reader of the ESC/POS subset the printer sends: anything else is an error."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class Job:
    rasters: list[tuple[int, int, bytes]] = field(default_factory=list)  # (width_bytes, h, data)
    feeds: int = 0
    cut: bool = False

    def image(self) -> Image.Image:
        """The raster fragments stacked, as a mode "1" image (black = printed dot)."""
        width = self.rasters[0][0] * 8
        height = sum(h for _, h, _ in self.rasters)
        out = Image.new("1", (width, height), 1)
        y = 0
        for wb, h, data in self.rasters:
            assert wb * 8 == width, "fragments of one image must have the same width"
            # Raster bit 1 = black dot; mode "1" stores 1 = white, so invert.
            frag = Image.frombytes("1", (wb * 8, h), bytes(b ^ 0xFF for b in data))
            out.paste(frag, (0, y))
            y += h
        return out


def parse(data: bytes) -> list[Job]:
    """Split a byte stream into jobs (each starts with ESC @ and ends with a cut)."""
    jobs: list[Job] = []
    job: Job | None = None
    i = 0
    while i < len(data):
        if data[i : i + 2] == b"\x1b@":  # ESC @ initialise: a new job
            if job is not None:
                raise ValueError(f"job at byte {i} starts before the previous one was cut")
            job = Job()
            i += 2
            continue
        if job is None:
            raise ValueError(f"byte {i}: data before ESC @")
        if data[i : i + 3] == b"\x1dv0":  # GS v 0 m xL xH yL yH d1..dk
            m = data[i + 3]
            if m not in (0, 1, 2, 3, 48, 49, 50, 51):
                raise ValueError(f"byte {i}: bad GS v 0 mode {m}")
            wb = data[i + 4] | data[i + 5] << 8
            h = data[i + 6] | data[i + 7] << 8
            start = i + 8
            end = start + wb * h
            if end > len(data):
                raise ValueError(f"byte {i}: raster image truncated")
            job.rasters.append((wb, h, data[start:end]))
            i = end
        elif data[i : i + 2] == b"\x1bd":  # ESC d n: print and feed n lines
            job.feeds += data[i + 2]
            i += 3
        elif data[i : i + 2] == b"\x1dV":  # GS V m [n]: cut
            m = data[i + 2]
            i += 4 if m in (65, 66) else 3
            job.cut = True
            jobs.append(job)
            job = None
        else:
            raise ValueError(f"byte {i}: unexpected {data[i : i + 4]!r}")
    if job is not None:
        raise ValueError("the last job was not cut")
    return jobs
