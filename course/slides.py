"""Slide decks of the notebooks: one reveal.js deck per notebook, working offline.

    python -m course.slides [--out build/slides] [--assets slides/node_modules]
                            [--solutions] [NOTEBOOK ...]

Without notebook arguments every ``notebooks/NN_*.ipynb`` of the project is used. A deck is
made by nbconvert's ``SlidesExporter`` from the cells' ``slideshow`` metadata, with the stored
outputs (figures are embedded as PNG). reveal.js, require.js, jQuery and MathJax are copied
from ``slides/node_modules`` (installed by ``npm ci`` in ``slides/``) into
``build/slides/assets/``, and the decks point there, so a deck has no CDN reference and works
without internet. By default the solution cells are left out of the decks and the outputs of
their checks cleared; ``--solutions`` keeps them (an answer deck). Every slide fits reveal.js's
960×700 slide: course.slidesplit cuts the cells into slides, a figure shown without the code
that only draws it (the rules are in its docstring).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from attention_utils.describe import is_caption
from course.notebooks import (
    ROOT,
    command_line,
    copy_assets,
    exercise_cells,
    find_notebooks,
    notebook_title,
    read_notebook,
    run_builder,
)
from course.output import output_folder
from course.slidesize import DECK_CSS
from course.slidesplit import fit_slides

#: The output that stands for a live widget in a slide deck.
WIDGET_PLACEHOLDER = "[interactive widget: open the notebook in JupyterLab and run it to use it]"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Where each offline asset comes from (relative to ``node_modules``) and goes (relative to
#: ``assets/`` next to the decks). A folder is copied whole.
ASSETS: dict[str, str] = {
    "reveal.js/dist/reveal.js": "reveal.js/dist/reveal.js",
    "reveal.js/dist/reveal.css": "reveal.js/dist/reveal.css",
    "reveal.js/dist/reset.css": "reveal.js/dist/reset.css",
    "reveal.js/dist/theme": "reveal.js/dist/theme",
    "reveal.js/plugin/notes": "reveal.js/plugin/notes",
    "reveal.js/LICENSE": "reveal.js/LICENSE",
    "requirejs/require.js": "require.js",
    "jquery/dist/jquery.min.js": "jquery.min.js",
    "mathjax/MathJax.js": "mathjax/MathJax.js",
    "mathjax/LICENSE": "mathjax/LICENSE",
    "mathjax/config/TeX-AMS_CHTML-full.js": "mathjax/config/TeX-AMS_CHTML-full.js",
    "mathjax/config/Safe.js": "mathjax/config/Safe.js",
    "mathjax/extensions": "mathjax/extensions",
    "mathjax/jax/input/TeX": "mathjax/jax/input/TeX",
    "mathjax/jax/output/CommonHTML": "mathjax/jax/output/CommonHTML",
    "mathjax/jax/element": "mathjax/jax/element",
    "mathjax/fonts/HTML-CSS/TeX/woff": "mathjax/fonts/HTML-CSS/TeX/woff",
}
ASSET_DIR = "assets"

#: The URLs of the decks, relative to the deck (they sit in the same folder as ``assets/``).
SLIDE_URLS = {
    "reveal_url_prefix": f"{ASSET_DIR}/reveal.js",
    "require_js_url": f"{ASSET_DIR}/require.js",
    "jquery_url": f"{ASSET_DIR}/jquery.min.js",
    "mathjax_url": f"{ASSET_DIR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

# The reveal template of nbconvert, less its mermaid.js import (from a CDN; the series has
# no mermaid diagrams), plus the style that the slide sizes of course.slidesize assume, and a
# picture's description (attention_utils.describe) as its alt, which the lab template drops.
_TEMPLATE_NAME = "attention_names_offline_reveal.html.j2"
_TEMPLATE = f"""\
{{%- extends 'index.html.j2' -%}}
{{%- block html_head_js_mermaidjs -%}}{{%- endblock html_head_js_mermaidjs -%}}
{{%- block html_head_css -%}}
<style type="text/css">{DECK_CSS}</style>
{{%- endblock html_head_css -%}}
{{% block data_png scoped %}}
<div class="jp-RenderedImage jp-OutputArea-output {{{{ extra_class }}}}">
<img src="data:image/png;base64,{{{{ output.data['image/png'] | escape_html }}}}"
{{%- set width=output | get_metadata('width', 'image/png') -%}}
{{%- if width is not none %}} width={{{{ width | escape_html }}}}{{%- endif %}}
{{%- set height=output | get_metadata('height', 'image/png') -%}}
{{%- if height is not none %}} height={{{{ height | escape_html }}}}{{%- endif %}}
 alt="{{{{ (output | get_metadata('alt', 'image/png') or 'a figure without a description') | escape_html }}}}">
</div>
{{%- endblock data_png %}}
"""


def default_assets() -> Path:
    """``slides/node_modules`` of the project (``make slides`` installs it)."""
    return ROOT / "slides" / "node_modules"


def slides_notebook(nb, solutions: bool = False):
    """The notebook as it goes into a deck (``nb`` is not changed).

    Live widgets cannot run in a deck: their outputs become a one-line note
    (:data:`WIDGET_PLACEHOLDER`) and the saved widget state is dropped (it would load the
    widget renderer from a CDN). Unless ``solutions``, solution cells are skipped and the
    outputs of their checks cleared. Then the cells are cut into slides that fit
    (:func:`course.slidesplit.fit_slides`).
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    if not solutions:
        for sol, check in exercise_cells(nb):
            nb.cells[sol].metadata.setdefault("slideshow", {})["slide_type"] = "skip"
            if check is not None:
                nb.cells[check].outputs = []
    for cell in nb.cells:
        # a figure's caption: the deck gives the picture its alt instead
        if "outputs" in cell:
            cell.outputs = [out for out in cell.outputs if not is_caption(out)]
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                out["data"] = {"text/plain": WIDGET_PLACEHOLDER}
    nb.cells = fit_slides(nb.cells)
    return nb


def slides_exporter():
    """nbconvert's SlidesExporter set up for offline decks (see :data:`SLIDE_URLS`)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    for name, url in SLIDE_URLS.items():
        setattr(config.SlidesExporter, name, url)
    config.SlidesExporter.reveal_number = "c/t"
    return SlidesExporter(
        config=config,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
    )


def build_slides(
    notebooks: Iterable[Path | str] | None = None,
    out: Path | str = "build/slides",
    assets: Path | str | None = None,
    solutions: bool = False,
) -> list[Path]:
    """Write ``out/NN_name.slides.html`` for each notebook and the assets they load.

    ``assets`` is the ``node_modules`` folder holding reveal.js, requirejs, jquery and
    mathjax (default: ``slides/node_modules``). Returns the paths of the decks.
    """
    sources = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks()
    if not sources:
        raise ValueError("no notebooks given: expected notebooks/NN_*.ipynb files")
    teacher = [read_notebook(src) for src in sources]  # a missing or broken one stops us here
    node_modules = assets if assets is not None else default_assets()
    with output_folder(Path(out), sources) as new:
        copy_assets(
            node_modules,
            ASSETS,
            new / ASSET_DIR,
            "run `make slides` (or `npm ci` in slides/) to install reveal.js, require.js, "
            "jQuery and MathJax",
        )
        exporter = slides_exporter()
        names = []
        for src, nb in zip(sources, teacher, strict=True):
            body, _ = exporter.from_notebook_node(
                slides_notebook(nb, solutions=solutions), resources={"metadata": {"name": src.stem}}
            )
            (new / f"{src.stem}.slides.html").write_text(body, encoding="utf-8")
            names.append(f"{src.stem}.slides.html")
        index = "\n".join(
            f'<li><a href="{name}">{notebook_title(s)}</a></li>'
            for s, name in zip(sources, names, strict=True)
        )
        (new / "index.html").write_text(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>attention-names slides</title></head>\n<body><h1>attention-names: slides</h1>\n"
            f"<ol>\n{index}\n</ol>\n</body></html>\n",
            encoding="utf-8",
        )
    decks = [Path(out).resolve() / name for name in names]
    return decks


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line("slides", __doc__, notebooks=True, out=ROOT / "build" / "slides")
    parser.add_argument("--assets", type=Path, default=None, help="default: slides/node_modules")
    parser.add_argument("--solutions", action="store_true", help="keep the solution cells")
    args = parser.parse_args(argv)
    return run_builder(
        lambda: build_slides(args.notebooks or None, args.out, args.assets, args.solutions),
        lambda decks: f"{len(decks)} slide decks in {args.out} (open {args.out}/index.html)",
    )


if __name__ == "__main__":
    sys.exit(main())
