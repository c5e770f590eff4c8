"""``{{ url|qr_svg }}``: an inline SVG QR code (segno), sized by CSS through its viewBox."""

from __future__ import annotations

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Q restores up to 25 % of a damaged or dirty label; the URL stays short enough for a small code.
ERROR_CORRECTION = "q"
QUIET_ZONE_MODULES = 4


@register.filter
def qr_svg(url: str) -> SafeString:
    code = segno.make(str(url), error=ERROR_CORRECTION, boost_error=False, micro=False)
    svg = code.svg_inline(scale=1, border=QUIET_ZONE_MODULES, omitsize=True, svgclass="qr", lineclass=None)
    # segno writes only path data derived from the modules: the URL's text is not in the markup.
    return mark_safe(svg)  # noqa: S308
