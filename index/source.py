"""Reading the plan's text, with a clear error for a file that is missing, empty or not UTF-8."""
from __future__ import annotations

from pathlib import Path


class SourceError(ValueError):
    """The source text cannot be used; the message names the file and the problem."""


def read_source(path: Path) -> str:
    """The text of ``path``, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"source file not found: {path}") from None
    except IsADirectoryError:
        raise SourceError(f"source is a folder, not a file: {path}") from None
    except OSError as exc:
        raise SourceError(f"cannot read source file {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"source file {path} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise SourceError(f"source file {path} is empty")
    return text
