"""A builder's output folder: built aside, swapped in when complete, nothing foreign deleted.

    with output_folder(Path("build/student"), sources) as new:
        ...  # write everything into ``new``

The block writes into a new folder next to ``out``. Only when it ends without an error do its
files move into ``out``, one atomic rename each; then the files that the previous build wrote
and this one did not (a notebook since removed, say) are deleted. A file that a builder did not
write (a ``grades.csv`` a teacher keeps there) is never touched, and a build that fails or is
killed leaves ``out`` exactly as it was. The list of files a build wrote is kept in ``out``'s
:data:`MARKER` file, which also marks the folder as a builder's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from course.notebooks import ROOT

#: The file that marks a folder as written by a course builder, and lists what it wrote.
MARKER = ".classroom-output"
_HEADER = "Written by a course builder (course/); it replaces only the files listed below.\n"


def check_output_folder(out: Path, sources: Sequence[Path] = ()) -> Path:
    """``out`` resolved, or a ValueError if writing there could harm something.

    ``out`` may not be a file, nor hold the project, its package, its course builders or a
    source notebook; a folder that is not empty must carry :data:`MARKER` (an earlier build).
    """
    out = Path(out).resolve()
    protected = {ROOT, ROOT / "attention_utils", ROOT / "course"}
    protected |= {Path(s).resolve().parent for s in sources}
    for folder in protected:
        if out == folder or out in folder.parents:
            raise ValueError(
                f"refusing to write into {out}: it holds {folder}; choose a folder of its own "
                "(e.g. build/student or build/slides)"
            )
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder: name a folder to write into")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ValueError(
            f"{out} is not empty and was not written by this command: choose another --out, "
            "or empty it first"
        )
    return out


def written_before(out: Path) -> set[str]:
    """The files (relative paths) that the previous build listed in ``out``'s marker."""
    marker = out / MARKER
    if not marker.is_file():
        return set()
    lines = marker.read_text(encoding="utf-8").splitlines()
    return {line for line in lines[1:] if line and not line.startswith("#")}


@contextmanager
def output_folder(out: Path, sources: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a new empty folder to build into; on success its files replace ``out``'s."""
    out = check_output_folder(out, sources)
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        yield new
        files = sorted(str(p.relative_to(new)) for p in new.rglob("*") if p.is_file())
        out.mkdir(exist_ok=True)
        stale = written_before(out) - set(files)
        for name in files:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(new / name, out / name)
        for name in stale:
            (out / name).unlink(missing_ok=True)
            for folder in (out / name).parents:  # folders emptied by that, up to ``out``
                if folder == out or any(folder.iterdir()):
                    break
                folder.rmdir()
        (out / MARKER).write_text(_HEADER + "".join(f"{f}\n" for f in files), encoding="utf-8")
    finally:
        shutil.rmtree(new, ignore_errors=True)
