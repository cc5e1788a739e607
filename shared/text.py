"""Names and short texts people type, checked once for every place that shows them.

A counter's, a device's or a citizen's name and the hall's notice are shown on
screens and printed: a control character (NUL, BEL), a direction override
(U+202E) or an invisible character (a zero-width space) has no place in them,
makes two names that look the same compare different ("Quầy 1" and "Quầy 1"
with a zero-width space), and can reorder what a screen shows. Such text is
refused, not cleaned: whoever typed it learns at once.
"""
import unicodedata

INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}  # control, format (bidi, zero-width), unassigned


def plain(raw, most: int, least: int = 1) -> str | None:
    """`raw` in Unicode's composed form with its spacing collapsed, or None when it is
    not a text of `least` to `most` characters made of visible characters and spaces."""
    if not isinstance(raw, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not least <= len(text) <= most or any(unicodedata.category(ch) in INVISIBLE for ch in text):
        return None
    return text
