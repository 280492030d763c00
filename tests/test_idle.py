"""Jobs in the kernel's idle time: they wait for quiet, yield to cells and to the reader, stop
on an error, and in a real kernel the explorer shows at once and builds its figures after."""

from __future__ import annotations

import textwrap
import time

import pytest
from jupyter_client.manager import start_new_kernel

from attention_utils import idle


class FakeLoop:
    """tornado's ``call_later`` on a clock that the test moves."""

    def __init__(self):
        self.now = 0.0
        self.calls: list[tuple[float, object]] = []

    def clock(self) -> float:
        return self.now

    def call_later(self, delay, callback):
        self.calls.append((self.now + delay, callback))

    def run_next(self) -> float:
        """Move the clock to the first callback due and run it; return its time."""
        self.calls.sort(key=lambda call: call[0])
        when, callback = self.calls.pop(0)
        self.now = max(self.now, when)
        callback()
        return when


class FakeEvents:
    def __init__(self):
        self.callbacks: dict[str, list] = {}

    def register(self, event, callback):
        self.callbacks.setdefault(event, []).append(callback)

    def unregister(self, event, callback):
        self.callbacks[event].remove(callback)

    def trigger(self, event):
        for callback in list(self.callbacks.get(event, [])):
            callback(None)


def make(jobs, events=None, quiet=0.5):
    loop = FakeLoop()
    return loop, idle.IdleJobs(jobs, loop, events, quiet=quiet, clock=loop.clock)


def test_jobs_run_one_by_one_after_quiet_and_then_stop():
    ran = []
    loop, jobs = make([lambda i=i: ran.append((i, loop.now)) for i in range(3)])
    assert ran == [] and loop.calls[0][0] == 0.5  # nothing runs before quiet
    while loop.calls:
        loop.run_next()
    assert [i for i, _ in ran] == [0, 1, 2]
    assert ran[0][1] == 0.5 and ran[1][1] > 0.5  # one job per turn of the loop
    assert jobs.done == 3 and jobs.finished and jobs.error is None


def test_busy_holds_the_next_job_for_a_quiet_spell():
    ran = []
    loop, jobs = make([lambda: ran.append(loop.now), lambda: ran.append(loop.now)])
    loop.run_next()  # the first job
    loop.now += 0.01
    jobs.busy()  # the reader types
    busy_at = loop.now
    while loop.calls:
        loop.run_next()
    assert len(ran) == 2 and ran[1] >= busy_at + 0.5, ran


def test_cells_count_as_activity_and_the_callbacks_go_when_done():
    events = FakeEvents()
    ran = []
    loop, jobs = make([lambda: ran.append(loop.now)], events=events)
    loop.now = 0.4
    events.trigger("pre_run_cell")  # a cell starts before quiet is over
    loop.run_next()  # due at 0.5, but the cell was 0.1 s ago
    assert ran == []
    loop.now = 0.85
    events.trigger("post_run_cell")
    while loop.calls:
        loop.run_next()
    assert ran == [pytest.approx(1.35)]
    assert events.callbacks == {"pre_run_cell": [], "post_run_cell": []}


def test_a_failing_job_stops_the_rest_and_is_kept():
    ran = []

    def broken():
        raise RuntimeError("no figure")

    loop, jobs = make([broken, lambda: ran.append(1)])
    while loop.calls:
        loop.run_next()
    assert ran == [] and jobs.finished and str(jobs.error) == "no figure"


def test_outside_a_kernel_nothing_is_started():
    ran = []
    assert idle.kernel() is None
    assert idle.start([lambda: ran.append(1)]) is None
    assert ran == []


# --------------------------------------------------------------------------- a real kernel

EXPLORER = textwrap.dedent(
    """
    import string, time
    from attention_utils.explorer import Explorer
    from attention_utils.models import CausalTransformer, ModelConfig
    from attention_utils.vocab import CharTable
    table = CharTable.from_names(list(string.ascii_lowercase))
    config = ModelConfig(vocab_size=len(table), block_size=5, d_model=8, n_heads=2,
                         n_layers=1, d_ff=16, dropout=0.0)
    start = time.perf_counter()
    explorer = Explorer((CausalTransformer(config).eval(), table), train_names=["abc"],
                        name="ab")
    print(f"shown after {time.perf_counter() - start:.2f} s")
    """
)


def run(client, code: str) -> str:
    """Execute ``code`` in the kernel; its printed text."""
    text = []

    def collect(message):
        if message["msg_type"] == "stream":
            text.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=120, output_hook=collect)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(text)


def test_in_a_kernel_the_explorer_shows_first_and_builds_its_figures_while_idle():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        run(client, "import matplotlib; matplotlib.use('Agg')")
        run(client, EXPLORER)
        # the cell right after: only the figure on show is built (4 lengths x 2 layouts in all)
        right_after = run(client, "print(len(explorer.renderer.canvases))")
        assert int(right_after) == 1, right_after
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(1.0)  # the kernel is idle: jobs run
            state = run(client, "print(len(explorer.renderer.canvases), explorer.idle.finished)")
            if state.split()[1] == "True":
                break
        assert state.split() == ["8", "True"], state
        assert run(client, "print(explorer.idle.error)").strip() == "None"
        # the reader's redraws find their figures ready
        run(client, "explorer.name.value = 'abcd'; explorer.head.value = 0")
        assert run(client, "print(len(explorer.renderer.canvases))").strip() == "8"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
