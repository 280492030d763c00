"""Measure the explorer page's runtime against ONNX Runtime Web: bytes loaded, time per keystroke.

    make runtimes          # npm ci in runtimes/, then python -m course.runtimes

The explorer page (:mod:`course.webexplorer`) computes the trained model with a hand-written
forward pass. This is the measurement behind that choice. It writes ``build/runtimes/``: the
explorer page, and a prototype page that runs the same models with ONNX Runtime Web
(``onnxruntime-web`` from ``runtimes/node_modules``, one thread, the WebAssembly backend) on
graphs exported by ``torch.onnx`` (trained and untrained, causal mask on and off; the input has
the longest length the page takes, which is enough to time it). It serves the folder on
127.0.0.1, opens both pages in Debian's Chromium and prints, for each, the bytes of every file
the page loads and the time of one forward pass per keystroke (median and max over the
prefixes of :data:`NAMES`), with the largest difference of ONNX Runtime's probabilities from
PyTorch's. It needs ``pip install onnx onnxscript`` (not in the requirements: the site does
not use them).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import threading
import warnings
from pathlib import Path

import torch
from torch import nn

from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.vocab import START
from course import webexplorer
from course.landing import EXPLORER_PAGE
from course.notebooks import ROOT

NODE_MODULES = ROOT / "runtimes" / "node_modules" / "onnxruntime-web" / "dist"
#: What the prototype page takes from onnxruntime-web: the WebAssembly build and its loader.
ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
#: The explorer page's own files, which a page running ONNX Runtime would need as well.
UI_FILES = (EXPLORER_PAGE, "explorer/explorer.css", "explorer/explorer.js")
NAMES = ("abhishek", "priyanka", "sunita", "mohammed")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

ORT_PAGE = """<!doctype html><meta charset="utf-8"><title>ONNX Runtime Web prototype</title>
<script src="ort/ort.wasm.min.js"></script>
<script>
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL("ort/", location.href).href;
window.measure = async (files, inputs, T) => {
  const sessions = [];
  for (const f of files) sessions.push(await ort.InferenceSession.create(f));
  const times = [], probs = [];
  for (const ids of inputs) {
    const idx = new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, T]);
    const start = performance.now();
    const out = await sessions[0].run({idx});
    times.push(performance.now() - start);
    probs.push(Array.from(out.probs.data));
  }
  return {times, probs};
};
</script>
"""


class _Graph(nn.Module):
    """The model as one graph: ids ``(1, T)`` -> attention ``(L, H, T, T)``, probs ``(T, V)``."""

    def __init__(self, model, causal: bool):
        super().__init__()
        self.model, self.causal = model, causal

    def forward(self, idx):
        m = self.model  # its layers one by one: model.forward checks ids by value
        x, weights = m.pos(m.tok_emb(idx)), []
        for block in m.blocks:
            x, w = block(x, causal=self.causal)
            weights.append(w[0])
        return torch.stack(weights), torch.softmax(m.head(m.ln_f(x))[0], -1)


def export_onnx(model, causal: bool, path: Path) -> None:
    """``model`` as an ONNX file for inputs of length ``block_size - 1``."""
    idx = torch.zeros(1, model.config.block_size - 1, dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Graph(model.eval(), causal),
            (idx,),
            str(path),
            input_names=["idx"],
            output_names=["attention", "probs"],
            dynamo=True,
            external_data=False,
            verbose=False,
        )


def stage(out: Path) -> tuple[list[str], object]:
    """Write both pages into ``out``; returns the ONNX files and the trained model."""
    if not NODE_MODULES.is_dir():
        raise FileNotFoundError(f"{NODE_MODULES} is missing: run `npm ci` in runtimes/")
    if out.exists():
        shutil.rmtree(out)
    trained = load_or_train(progress=False)
    webexplorer.write(out, trained=trained)
    (out / "ort").mkdir()
    for name in ORT_FILES:
        shutil.copy2(NODE_MODULES / name, out / "ort" / name)
    (out / "ort.html").write_text(ORT_PAGE, encoding="utf-8")
    untrained = untrained_model(trained.model.config)
    files = []
    for kind, model in (("trained", trained.model), ("untrained", untrained)):
        for causal in (True, False):
            files.append(f"{kind}-{'causal' if causal else 'open'}.onnx")
            export_onnx(model, causal, out / files[-1])
    return files, trained


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the printed figures readable
        pass


def _prefixes(names=NAMES) -> list[str]:
    return [name[:n] for name in names for n in range(1, len(name) + 1)]


def measure(out: Path) -> dict:
    """Both pages in Chromium: bytes loaded and milliseconds per forward pass."""
    from playwright.sync_api import sync_playwright

    files, trained = stage(out)
    table, T = trained.table, trained.model.config.block_size - 1
    prefixes = _prefixes()
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for label, page_name in (
                ("hand-written", EXPLORER_PAGE),
                ("onnxruntime-web", "ort.html"),
            ):
                page, loaded = browser.new_page(), []
                page.on("requestfinished", lambda r, loaded=loaded: loaded.append(r.url))
                page.goto(f"{url}/{page_name}")
                if label == "hand-written":
                    page.wait_for_selector("body[data-ready='1']")
                    times = page.evaluate(
                        """(names) => names.map((name) => { const start = performance.now();
                             explorerPage.forward("trained", name, true);
                             return performance.now() - start; })""",
                        prefixes,
                    )
                    worst = 0.0
                else:
                    pad = table.stoi[START]
                    inputs = [(table.batch(n)[0].tolist() + [pad] * T)[:T] for n in prefixes]
                    got = page.evaluate("([f, i, T]) => measure(f, i, T)", [files, inputs, T])
                    times, worst = got["times"], 0.0
                    for name, probs in zip(prefixes, got["probs"], strict=True):
                        want = webexplorer.torch_reference(trained.model, table, name)[1]
                        n = len(name) + 1  # causal: the padding after the name changes nothing
                        flat = torch.tensor(probs).reshape(T, len(table))[:n].double().numpy()
                        worst = max(worst, float(abs(flat - want).max()))
                page.wait_for_load_state("networkidle")
                size = sum((out / u.removeprefix(url + "/")).stat().st_size for u in loaded)
                if label == "onnxruntime-web":  # it would need the page's HTML, CSS, drawing too
                    size += sum((out / f).stat().st_size for f in UI_FILES)
                results[label] = {
                    "bytes": size,
                    "files": len(loaded),
                    "median_ms": statistics.median(times),
                    "max_ms": max(times),
                    "parity": worst,
                }
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "runtimes")
    args = parser.parse_args(argv)
    results = measure(args.out)
    print(f"forward pass per keystroke over {len(_prefixes())} prefixes of {', '.join(NAMES)}:")
    for label, r in results.items():
        print(
            f"  {label:16s} {r['bytes']:>11,} bytes in {r['files']} files · "
            f"median {r['median_ms']:.2f} ms, max {r['max_ms']:.2f} ms"
            + (f" · probabilities off PyTorch by {r['parity']:.1e}" if r["parity"] else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
