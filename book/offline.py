"""A Sphinx extension of the course's book: every page loads only files of its own site.

- Drops sphinx-thebe's scripts and style (Jupyter Book 1 always loads the extension; its inline
  script is added again on every page, so later pages declare ``THEBE_JS_URL`` twice and throw,
  and thebe itself would come from unpkg.com; the book has no kernel to offer anyway).
- Fails the build if any script or stylesheet of a page still points outside the site.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError


def _filename(asset: Any) -> str:
    return str(getattr(asset, "filename", asset) or "")


def _is_thebe(asset: Any) -> bool:
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in _filename(asset).lower() or "THEBE_JS_URL" in body


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    for key in ("script_files", "css_files"):
        assets = [a for a in context.get(key, []) if not _is_thebe(a)]
        outside = [_filename(a) for a in assets if "://" in _filename(a) or _filename(a).startswith("//")]
        if outside:
            raise ExtensionError(f"{pagename}: loads files from outside the site: {outside}")
        context[key] = assets


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
