"""The clinic's own name, logo and accent colour (settings SITE_NAME, SITE_LOGO, ACCENT_COLOUR),
checked once when the app starts: an accent too pale for text on white, or a logo that is not an
image file, is a clear error at start, not a page that cannot be read."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kb.errors import ConfigError

HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
#: WCAG 2.1 AA for normal text: links and buttons are drawn in the accent on white.
MINIMUM_CONTRAST = 4.5
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
LOGO_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Branding:
    name: str
    accent: str  # #rrggbb
    accent_dark: str  # the accent a quarter darker: hovers and the focus ring
    logo: Path | None

    @property
    def logo_type(self) -> str | None:
        return LOGO_TYPES[self.logo.suffix.lower()] if self.logo else None

    def stylesheet(self) -> str:
        """The pages' colour properties for this clinic (a stylesheet: the pages allow no inline style)."""
        return f":root {{ --accent: {self.accent}; --accent-dark: {self.accent_dark}; --focus: {self.accent_dark}; }}\n"


def branding_from_settings(settings) -> Branding:
    name = str(settings["SITE_NAME"]).strip()
    if not name or len(name) > 80:
        raise ConfigError("SITE_NAME must be 1 to 80 characters")
    accent = _accent(str(settings["ACCENT_COLOUR"]).strip())
    return Branding(name, accent, _darker(accent), _logo(str(settings["SITE_LOGO"]).strip()))


def _accent(value: str) -> str:
    if not HEX_COLOUR.fullmatch(value):
        raise ConfigError(f"ACCENT_COLOUR must be a colour such as #0b5cad, not {value!r}")
    digits = value[1:]
    accent = "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits).lower()
    contrast = contrast_on_white(accent)
    if contrast < MINIMUM_CONTRAST:
        raise ConfigError(f"ACCENT_COLOUR {value} has a contrast of {contrast:.2f}:1 on white; text needs {MINIMUM_CONTRAST}:1 (choose a darker shade)")
    return accent


def contrast_on_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of a #rrggbb colour against white."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def _darker(colour: str) -> str:
    return "#" + "".join(f"{int(int(colour[i : i + 2], 16) * 0.75):02x}" for i in (1, 3, 5))


def _logo(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value)
    if path.suffix.lower() not in LOGO_TYPES:
        raise ConfigError(f"SITE_LOGO must be an image file ({', '.join(LOGO_TYPES)}), not {value}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"SITE_LOGO {value} cannot be read: {exc.strerror}") from exc
    if size > LOGO_MAX_BYTES:
        raise ConfigError(f"SITE_LOGO {value} is {size // 1024} KB; a logo must be at most {LOGO_MAX_BYTES // 1024} KB")
    return path
