"""A progress bar for training that a saved notebook shows as it ended, not as it started.

In a Jupyter kernel, :func:`progress_bar` draws an HTML ``<progress>`` with a line of text and
updates that one output in place (a display handle): the notebook keeps the *final* state, so
GitHub's viewer, the site and a student copy read "700/700 steps in 15.2 s" with the last
losses (tqdm's widget would leave a "0%" text there). Elsewhere (a terminal, a script) it is
tqdm's text bar on stderr. Disabled, it does nothing.
"""

from __future__ import annotations

import html
import time
from contextlib import contextmanager

from tqdm.std import tqdm

from attention_utils.runtime import kernel_shell

#: Seconds between two redraws in a notebook (each redraw is a message to the front end).
EVERY = 0.25


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where outputs are saved into the notebook)."""
    return kernel_shell() is not None


class NotebookBar:
    """The notebook's bar: ``update(n)``, ``set_postfix(**values)``, ``close()``."""

    def __init__(self, total: int, desc: str):
        from IPython.display import display

        self.total, self.desc, self.n, self.postfix = total, desc, 0, {}
        self.start = self.last = time.perf_counter()
        self.handle = display(self._bundle(), raw=True, display_id=True)

    def text(self) -> str:
        seconds = time.perf_counter() - self.start
        values = ", ".join(f"{k} {v}" for k, v in self.postfix.items())
        return f"{self.desc}: {self.n}/{self.total} steps in {seconds:.1f} s" + (
            f" · {values}" if values else ""
        )

    def _bundle(self) -> dict:
        text = self.text()
        bar = f'<progress value="{self.n}" max="{self.total}" style="width: 16em"></progress>'
        return {"text/plain": text, "text/html": f"{bar} <code>{html.escape(text)}</code>"}

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.last >= EVERY:
            self.last = now
            self.handle.update(self._bundle(), raw=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw()

    def set_postfix(self, **values) -> None:
        self.postfix = {k: str(v) for k, v in values.items()}
        self._draw()

    def close(self) -> None:
        self._draw(force=True)


class _Off:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **values) -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def progress_bar(total: int, desc: str, enabled: bool = True):
    """``with progress_bar(total, "training", enabled) as bar: bar.update(1)`` (see module)."""
    if not enabled:
        bar = _Off()
    elif in_kernel():
        bar = NotebookBar(total, desc)
    else:
        bar = tqdm(total=total, desc=desc)
    try:
        yield bar
    finally:
        bar.close()
