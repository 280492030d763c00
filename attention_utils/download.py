"""Getting bytes from an address and onto disk safely: a time and size limit, atomic writes.

:mod:`attention_utils.data` builds the names cache on these two steps.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

#: The most a download may bring (a names file is a few kilobytes).
MAX_BYTES = 5_000_000


class DownloadError(OSError):
    """A file could not be downloaded, or what arrived was not the file expected."""


def write_atomically(data: bytes, dest: Path) -> None:
    """Write ``data`` to ``dest`` through a temporary file in the same folder, then rename.

    A reader sees either the old file, no file, or the whole new file: never half of it. A
    folder on the way that is a file, or that cannot be written, is an OSError that names it
    (and says where the data folder is set, ``$ATTENTION_NAMES_DATA``).
    """
    dest = Path(dest)
    for folder in [dest.parent, *dest.parent.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise NotADirectoryError(
                    f"cannot write {dest}: {folder} is a file, not a folder (the data folder "
                    "is $ATTENTION_NAMES_DATA where it is set: name a folder there)"
                )
            break
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except PermissionError as e:
        raise PermissionError(
            f"cannot write {dest}: the folder {e.filename or dest.parent} cannot be written "
            "(set $ATTENTION_NAMES_DATA to a folder you may write, e.g. one in your home)"
        ) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download(url: str, timeout: float = 30.0, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """``(body, content type)`` of ``url``; a DownloadError naming the address and the reason.

    ``timeout`` bounds the whole download, not each read, and a body larger than ``max_bytes``
    is refused, so a slow or endless answer cannot hold the caller.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            kind = response.headers.get_content_type()
            chunks, size = [], 0
            while chunk := response.read1(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(
                        f"could not download {url}: it is larger than {max_bytes:,} bytes, "
                        "far more than a names file; nothing was written"
                    )
                if time.monotonic() > deadline:
                    raise DownloadError(
                        f"could not download {url}: it took longer than {timeout:g} s "
                        f"({size:,} bytes so far); nothing was written"
                    )
                chunks.append(chunk)
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) > size:
                raise http.client.IncompleteRead(b"".join(chunks), int(expected) - size)
            return b"".join(chunks), kind
    except DownloadError:
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"could not download {url}: HTTP {e.code} {e.reason}") from e
    except http.client.IncompleteRead as e:
        raise DownloadError(
            f"could not download {url}: the connection closed after {len(e.partial):,} bytes, "
            f"{e.expected:,} more were expected"
        ) from e
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"could not download {url}: {reason}") from e
