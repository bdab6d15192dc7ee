"""What every renderer is: a bundle in, the bytes of one report file out."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from reporter.model import Bundle


class Renderer(Protocol):
    """Turns a bundle into one report file's bytes; never reads the clock or the network."""

    def render(self, bundle: Bundle) -> bytes:
        """The report for ``bundle``."""
        ...


class RendererFactory(Protocol):
    """A renderer class: built with the user's template folder (or None)."""

    def __call__(self, template_dir: Path | None = None) -> Renderer:
        """A renderer that looks for templates in ``template_dir`` first."""
        ...
