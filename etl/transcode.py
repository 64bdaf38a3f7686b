"""Strict, streaming transcoding of a byte range of a text file to UTF-8.

``etl.readers`` calls :func:`transcode_range` for the serial path and runs this file as a script in
child processes for the parallel one (``python -I -S etl/transcode.py SRC ENCODING DST START END``):
Python's codecs hold the GIL, so parts of a large file decode in parallel only in other processes.
Stdlib only, and nothing imported from the package, so a child starts in tens of milliseconds
without ``site`` (``-S``) and whatever the environment (``-I``).
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

# Bytes read at a time: large enough to amortise the calls, small enough to keep memory flat.
CHUNK = 16 * 1024 * 1024


def transcode_range(path: Path | str, encoding: str, target: Path | str, start: int, end: int | None) -> None:
    """Decode bytes ``start..end`` of ``path`` (strict) into ``target`` as UTF-8, in ``CHUNK`` reads.

    Raises UnicodeDecodeError on the first invalid sequence (``end=None``: to the end of the file).
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with open(path, "rb") as src, open(target, "wb") as dst:
        src.seek(start)
        left = end - start if end is not None else None
        while left is None or left > 0:
            chunk = src.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                break
            if left is not None:
                left -= len(chunk)
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def main(argv: list[str]) -> int:
    """``SRC ENCODING DST START END``: exit status 0 when the range decoded, 1 when it did not."""
    src, encoding, dst, start, end = argv
    try:
        transcode_range(src, encoding, dst, int(start), int(end))
    except (UnicodeDecodeError, OSError, LookupError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
