"""A progress line with an ETA for long runs: one redrawn bar on a terminal, plain lines (one
per finished unit) when the output goes to a file or a CI log, where a redrawn line is noise."""
from __future__ import annotations

import sys
import time

from grading.text import Text

BAR = Text("{bar} {done}/{total} · {elapsed} · ETA {eta}{last}",
           "{bar} {done}/{total} · {elapsed} · falta {eta}{last}")
LINE = Text("[{done:>{width}}/{total}] {what} · ETA {eta}", "[{done:>{width}}/{total}] {what} · falta {eta}")
UNKNOWN = "?"


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    def __init__(self, total: int, lang: str, stream=None, tty: bool | None = None, width: int = 24,
                 clock=time.monotonic):
        self.total, self.lang, self.width, self.clock = total, lang, width, clock
        self.stream = stream if stream is not None else sys.stderr
        self.tty = tty if tty is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = clock()
        self.done = 0
        self.last = ""
        self.drawn = 0.0

    def eta(self) -> str:
        if not self.done:
            return UNKNOWN
        if self.done >= self.total:
            return duration(0)
        elapsed = self.clock() - self.started
        return duration(elapsed / self.done * (self.total - self.done))

    def step(self, what: str) -> None:
        """One unit finished; `what` says which, and how it went."""
        self.done += 1
        self.last = what
        if self.tty:
            self.draw()
        else:
            text = LINE.get(self.lang).format(done=self.done, width=len(str(self.total)), total=self.total,
                                              what=what, eta=self.eta())
            self.stream.write(text + "\n")
            self.stream.flush()

    def tick(self) -> None:
        """Redraw the bar now and then (the elapsed time moves even when nothing finishes)."""
        if self.tty and self.clock() - self.drawn >= 1.0:
            self.draw()

    def draw(self) -> None:
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "█" * filled + "░" * (self.width - filled)
        last = f" · {self.last}" if self.last else ""
        text = BAR.get(self.lang).format(bar=bar, done=self.done, total=self.total,
                                         elapsed=duration(self.clock() - self.started), eta=self.eta(), last=last)
        self.stream.write("\r\x1b[2K" + text[:200])
        self.stream.flush()
        self.drawn = self.clock()

    def close(self) -> None:
        if self.tty:
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
