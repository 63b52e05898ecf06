"""Images as request inputs: a picked file becomes a ``data:`` URI the API accepts inline.

ComfyDeploy uploads ``data:image/...;base64,...`` input strings server-side. Very large files make
a request body of tens of megabytes that is slow to send and to show, so a size limit applies; the
message says what to do instead (host the file and paste its URL).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Final

from composer.core.bodytext import describe_size

MAX_INLINE_BYTES: Final = 20 * 1000 * 1000

# Magic numbers of the formats ComfyUI loads, for files with a missing or misleading extension.
_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


class MediaFileError(ValueError):
    """A file that cannot be used as an inline image; ``str()`` is a message for people."""


def sniff_image_type(head: bytes, name: str) -> str | None:
    """The image MIME type of a file from its first bytes, else from its name; None if neither."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    import mimetypes  # only when a file is picked: it reads the system's type tables

    guessed, _ = mimetypes.guess_type(name)
    if guessed and guessed.startswith(("image/", "video/")):
        return guessed
    return None


def data_uri_from_file(path: Path, limit: int = MAX_INLINE_BYTES) -> str:
    """The file as a base64 ``data:`` URI; raises :class:`MediaFileError` with a clear reason."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaFileError(f"{path.name}: no such file") from None
    except OSError as exc:
        raise MediaFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if size > limit:
        raise MediaFileError(
            f"{path.name} is {describe_size(size)}; images up to {describe_size(limit)} can be "
            "sent inline. Host the file and paste its URL instead."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    mime = sniff_image_type(data[:16], path.name)
    if mime is None:
        raise MediaFileError(f"{path.name} is not an image composer recognises (PNG, JPEG, ...)")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def is_data_uri(text: str) -> bool:
    """True for a ``data:`` URI."""
    return text.startswith("data:")


def is_image_reference(text: str) -> bool:
    """True for text that names an image: an image data URI or an http(s) URL of an image."""
    if text.startswith(("data:image/", "data:video/")):
        return True
    if text.startswith(("http://", "https://")):
        path = text.split("?", 1)[0].lower()
        return path.endswith((".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".mp4"))
    return False
