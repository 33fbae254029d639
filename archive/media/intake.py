"""Taking a photo into the archive, and publishing its redacted derivatives for an audience."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..audience import Audience
from ..errors import ValidationError
from .images import (BLACK, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_SIZES, Box, ImageInfo,
                     build_derivatives, inspect_image)
from .sandbox import SandboxLimits
from .store import Fixity, MediaStore


@dataclass(frozen=True)
class Photo:
    sha256: str
    size: int
    info: ImageInfo


def accept_photo(store: MediaStore, data: bytes, filename: str | None = None, *,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
                 sandbox: SandboxLimits | None = None) -> Photo:
    """Check the file, then store it; a refused file never touches the disk."""
    info = inspect_image(data, filename, max_bytes=max_bytes, max_pixels=max_pixels,
                         sandbox=sandbox)
    return Photo(sha256=store.put(data), size=len(data), info=info)


def publish_derivatives(store: MediaStore, sha256: str, audience: Audience | str,
                        boxes: Iterable[Box], sizes: Mapping[str, int | None] = DEFAULT_SIZES,
                        *, fill: tuple[int, int, int] = BLACK,
                        max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
                        sandbox: SandboxLimits | None = None) -> dict[str, bytes]:
    """Build the audience's derivatives from the original and store them, replacing old ones.

    `boxes` are the regions this audience may not see (the caller picks them from the
    approved redactions above the audience).
    """
    if store.fixity(sha256) is not Fixity.OK:
        # Derivatives of bytes that are not the original would publish something unreviewed.
        raise ValidationError(f"The original {sha256} is {store.fixity(sha256).value}")
    derivatives = build_derivatives(store.read(sha256), boxes, sizes, fill=fill,
                                    max_bytes=max_bytes, max_pixels=max_pixels, sandbox=sandbox)
    for size, data in derivatives.items():
        store.put_derivative(sha256, audience, size, data)
    store.remove_derivatives(sha256, audience, keep=tuple(derivatives))
    return derivatives
