"""Media: content-addressed originals, safe photo intake, redacted metadata-free derivatives."""
from .images import (DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_SIZES, ImageInfo,
                     build_derivatives, inspect_image)
from .intake import Photo, accept_photo, publish_derivatives
from .sandbox import SandboxLimits
from .store import Fixity, MediaStore

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "DEFAULT_SIZES", "Fixity", "ImageInfo",
           "MediaStore", "Photo", "SandboxLimits", "accept_photo", "build_derivatives",
           "inspect_image", "publish_derivatives"]
