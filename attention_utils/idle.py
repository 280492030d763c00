"""Small jobs run while the Jupyter kernel is idle, so that nobody waits for them.

    >>> jobs = idle.start([job_1, job_2, ...])   # None outside a running kernel
    >>> jobs.busy()                               # "the reader did something": jobs hold off

A job runs on the kernel's own event loop, between the messages it answers, and only once
nothing has happened for ``quiet`` seconds: no cell started or ended (IPython's events say so)
and no ``busy()``. So a notebook run top to bottom (cells follow each other at once) ends before
any job starts, and a reader who types waits for one job at most, never for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from attention_utils.runtime import kernel_shell

#: seconds of quiet before a job runs
QUIET = 0.5
#: seconds between two jobs: the kernel answers what arrived meanwhile
PAUSE = 0.02


class IdleJobs:
    """Run ``jobs`` one by one on ``loop`` (anything with tornado's ``call_later``) in quiet
    moments. ``events``: IPython's ``shell.events``, whose cells count as activity."""

    def __init__(
        self,
        jobs: Iterable[Callable[[], object]],
        loop,
        events=None,
        quiet: float = QUIET,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.jobs = iter(jobs)
        self.loop, self.events, self.quiet, self.clock = loop, events, quiet, clock
        self.last = clock()
        self.done = 0
        self.finished = False
        self.error: BaseException | None = None  # what stopped a failed job
        if events is not None:
            events.register("pre_run_cell", self.busy)
            events.register("post_run_cell", self.busy)
        loop.call_later(quiet, self._step)

    def busy(self, *_) -> None:
        """Something happened (a redraw; a cell, as IPython's events call it): the next job
        waits for ``quiet`` seconds from now."""
        self.last = self.clock()

    def _step(self) -> None:
        if self.finished:
            return
        wait = self.last + self.quiet - self.clock()
        if wait > 0:
            self.loop.call_later(wait, self._step)
            return
        try:
            job = next(self.jobs, None)
            if job is None:
                self.stop()
                return
            job()
        except Exception as error:  # a callback's error would only reach the kernel's log
            self.error = error
            self.stop()
            return
        self.done += 1
        self.loop.call_later(PAUSE, self._step)

    def stop(self) -> None:
        """Run no more jobs."""
        if self.finished:
            return
        self.finished = True
        if self.events is not None:
            for event in ("pre_run_cell", "post_run_cell"):
                try:
                    self.events.unregister(event, self.busy)
                except ValueError:
                    pass


def kernel():
    """``(event loop, IPython events)`` of the running Jupyter kernel, or None outside one."""
    shell = kernel_shell()
    loop = getattr(getattr(shell, "kernel", None), "io_loop", None)
    return None if loop is None else (loop, shell.events)


def start(jobs: Iterable[Callable[[], object]], quiet: float = QUIET) -> IdleJobs | None:
    """Run ``jobs`` in the kernel's quiet moments; None (and nothing run) outside a kernel."""
    found = kernel()
    if found is None:
        return None
    loop, events = found
    return IdleJobs(jobs, loop, events, quiet=quiet)
