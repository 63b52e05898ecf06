"""The pictures the sandbox's runs produce: PNGs that show the run's own prompt and seed.

Each image is drawn from its inputs alone (the colours and shapes come from the prompt and seed),
so the same inputs give the same picture and a batch grid shows visibly different cells. Drawn
with Pillow's bundled font, so no system font is needed.
"""

from __future__ import annotations

import hashlib
import io
import random
import textwrap
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

SIZE = 512
_PANEL_MARGIN = 24


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType: a small bitmap font
        return ImageFont.load_default()


def _rng_for(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _palette(rng: random.Random) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    top = (rng.randint(20, 120), rng.randint(20, 120), rng.randint(60, 180))
    bottom = (rng.randint(120, 240), rng.randint(80, 200), rng.randint(40, 160))
    return top, bottom


def _background(rng: random.Random, size: int = SIZE) -> Image.Image:
    top, bottom = _palette(rng)
    image = Image.new("RGB", (size, size), top)
    draw = ImageDraw.Draw(image)
    for y in range(size):
        mix = y / (size - 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (size, y)], fill=colour)
    for _ in range(rng.randint(3, 7)):
        radius = rng.randint(size // 16, size // 4)
        x, y = rng.randint(0, size), rng.randint(0, size * 2 // 3)
        shade = (rng.randint(150, 255), rng.randint(150, 255), rng.randint(150, 255))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], outline=shade, width=4)
    return image


def _panel(image: Image.Image, title: str, lines: Sequence[str]) -> None:
    draw = ImageDraw.Draw(image, "RGBA")
    size = image.width
    body_font, title_font = _font(20), _font(26)
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, width=38, max_lines=6, placeholder=" ...") or [""])
    height = 52 + 26 * len(wrapped)
    top = size - height - _PANEL_MARGIN
    draw.rounded_rectangle(
        [_PANEL_MARGIN, top, size - _PANEL_MARGIN, size - _PANEL_MARGIN],
        radius=12,
        fill=(0, 0, 0, 170),
    )
    draw.text((_PANEL_MARGIN + 14, top + 12), title, font=title_font, fill=(255, 255, 255))
    for index, line in enumerate(wrapped):
        y = top + 48 + 26 * index
        draw.text((_PANEL_MARGIN + 14, y), line, font=body_font, fill=(235, 235, 235))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=3)
    return buffer.getvalue()


def render_run_image(title: str, prompt: str, seed: object, extra: Sequence[str] = ()) -> bytes:
    """A PNG showing the prompt and seed of a run (same inputs, same picture)."""
    image = _background(_rng_for(title, prompt, seed))
    _panel(
        image, title, [f"prompt: {prompt}" if prompt else "(no prompt)", f"seed: {seed}", *extra]
    )
    return _png(image)


def render_preview(title: str, subtitle: str) -> bytes:
    """A catalogue preview picture for a model or deployment."""
    image = _background(_rng_for("preview", title))
    _panel(image, title, [subtitle])
    return _png(image)


def render_animation(title: str, prompt: str, seed: object, frames: int = 8) -> bytes:
    """A small animated GIF for video outputs: a dot travels across the run's picture."""
    base = _background(_rng_for(title, prompt, seed), size=256)
    pictures: list[Image.Image] = []
    for index in range(frames):
        frame = base.copy()
        draw = ImageDraw.Draw(frame)
        x = 20 + index * (216 // max(frames - 1, 1))
        draw.ellipse([x - 14, 114, x + 14, 142], fill=(255, 255, 255))
        draw.text((12, 12), title, font=_font(16), fill=(255, 255, 255))
        draw.text((12, 226), f"seed {seed}: {prompt[:28]}", font=_font(14), fill=(255, 255, 255))
        pictures.append(frame.convert("P", palette=Image.Palette.ADAPTIVE))
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=120, loop=0
    )
    return buffer.getvalue()
