"""Static files in production: hashed, compressed copies once `collectstatic` has run, and
the plain files until then, so that a server started without it still serves its pages."""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, falling back to a file's plain name when it has not
    been collected.

    The manifest storage raises (every page a 500) when `{% static %}` names a file that is
    neither in the manifest nor in STATIC_ROOT. The plain name still resolves: WhiteNoise
    serves it from the app folders (WHITENOISE_USE_FINDERS), without the long cache headers.
    """

    _warned = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if not StaticFilesStorage._warned:
                StaticFilesStorage._warned = True
                logger.warning(
                    "Static files have not been collected into %s (%r, among others, is "
                    "missing): pages link the plain files, served without long cache headers. "
                    "Run `python manage.py collectstatic --no-input` at each deployment "
                    "(docs/deployment.md).",
                    self.location,
                    name,
                )
            return name
