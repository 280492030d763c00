"""attention_utils/progress.py: the saved output of a notebook's bar is its final state; outside
a kernel it is tqdm's text bar; disabled, nothing."""

from __future__ import annotations

import pytest

from attention_utils import progress


class Handle:
    """Stands for IPython's display handle: keeps every bundle shown."""

    def __init__(self):
        self.shown = []

    def update(self, bundle, raw=False):
        assert raw
        self.shown.append(bundle)


@pytest.fixture
def notebook(monkeypatch):
    handle = Handle()

    def display(bundle, raw=False, display_id=False):
        assert raw and display_id
        handle.shown.append(bundle)
        return handle

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    return handle


def test_in_a_notebook_the_last_output_is_the_finished_bar(notebook, monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 3600.0)  # no redraw in between: only the last counts
    with progress.progress_bar(700, "training") as bar:
        for _ in range(700):
            bar.update(1)
        bar.set_postfix(train="1.903", val="1.950")
    first, last = notebook.shown[0], notebook.shown[-1]
    assert first["text/plain"].startswith("training: 0/700 steps")
    assert last["text/plain"].startswith("training: 700/700 steps in ")
    assert last["text/plain"].endswith("· train 1.903, val 1.950")
    assert '<progress value="700" max="700"' in last["text/html"]
    assert len(notebook.shown) == 2  # throttled: the first and the final state


def test_a_bar_stopped_by_an_error_still_saves_where_it_stopped(notebook):
    with pytest.raises(FloatingPointError), progress.progress_bar(10, "training") as bar:
        bar.update(3)
        raise FloatingPointError("diverged")
    assert notebook.shown[-1]["text/plain"].startswith("training: 3/10 steps")


def test_outside_a_kernel_it_is_a_text_bar_on_stderr(capsys):
    assert not progress.in_kernel()
    with progress.progress_bar(4, "training") as bar:
        bar.update(4)
    err = capsys.readouterr().err
    assert "training" in err and "4/4" in err


def test_disabled_it_shows_nothing(capsys, notebook):
    with progress.progress_bar(4, "training", enabled=False) as bar:
        bar.update(4)
        bar.set_postfix(val=1.0)
    assert notebook.shown == [] and capsys.readouterr() == ("", "")
