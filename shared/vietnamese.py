"""Spoken Vietnamese for queue numbers.

The hall announcement must read numbers the way a Vietnamese officer would say them,
so the rules below follow everyday speech rather than a literal digit-by-digit reading.
Pure Python (no Flask) so the kiosk, the display and the clip builder can all share it.

Reading rules (``n`` is split into groups of three digits: units, nghìn, triệu, tỷ):

* 10 "mười", 11 "mười một", 14 "mười bốn", 15 "mười lăm";
  21 "hai mươi mốt", 24 "hai mươi tư", 25 "hai mươi lăm", 50 "năm mươi".
  "mốt" and "tư" are used only after "mươi" (20-99); "lăm" after "mười"/"mươi".
* A zero tens digit after hundreds is read "linh" (Northern) or "lẻ" (Southern):
  105 "một trăm linh năm"; the unit after "linh" keeps its plain name (104 "linh bốn").
* A group that follows a higher non-zero group is read with all three digits, so its
  hundreds digit is said even when zero: 1023 "một nghìn không trăm hai mươi ba".
* A group that is entirely zero is skipped, together with its scale word. This is the
  common spoken form: 1000001 is "một triệu không trăm linh một", not the pedantic
  "một triệu không nghìn không trăm linh một"; 2000000 is "hai triệu".
* Southern speech (``southern=True``) says "ngàn" for "nghìn" and "lẻ" for "linh";
  everything else is shared.
"""
from __future__ import annotations

import re
import unicodedata

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

#: Every word :func:`number_to_words` can produce, both dialects.
NUMBER_WORDS = frozenset(DIGITS) | {
    "mốt", "tư", "lăm", "mười", "mươi", "trăm", "linh", "lẻ", "nghìn", "ngàn", "triệu", "tỷ",
}

#: Default spoken names of letters used as ticket prefixes: the names taught in Vietnamese
#: schools, plus the usual names of the four letters Vietnamese borrows (F, J, W, Z).
#: Each value is one spoken unit (and one audio clip), even when it has two syllables.
DEFAULT_LETTERS = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê",
    "E": "e", "Ê": "ê", "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi",
    "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ",
    "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u", "Ư": "ư",
    "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}

_SCALES = ("", "nghìn", "triệu", "tỷ")


def _tens_units(tens: int, unit: int, after_hundreds: bool, southern: bool) -> list[str]:
    """Last two digits of a group; ``after_hundreds`` decides whether a lone unit needs "linh"."""
    if tens == 0:
        if unit == 0:
            return []
        return ([("lẻ" if southern else "linh")] if after_hundreds else []) + [DIGITS[unit]]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if unit == 0:
        return words
    if unit == 5:
        last = "lăm"
    elif unit == 1 and tens > 1:
        last = "mốt"
    elif unit == 4 and tens > 1:
        last = "tư"
    else:
        last = DIGITS[unit]
    return words + [last]


def _group(value: int, full: bool, southern: bool) -> list[str]:
    """One three-digit group; ``full`` groups (not the leading one) always say their hundreds."""
    hundreds, tens, unit = value // 100, value // 10 % 10, value % 10
    words = [DIGITS[hundreds], "trăm"] if hundreds or full else []
    return words + _tens_units(tens, unit, bool(words), southern)


def number_to_words(n: int, southern: bool = False) -> str:
    """Read ``0 <= n < 10**12`` aloud in Vietnamese: lowercase words, single spaces.

    Northern by default ("nghìn", "linh"); ``southern=True`` gives "ngàn", "lẻ".
    Inner all-zero groups are skipped (see the module docstring), e.g.
    ``number_to_words(1000001) == "một triệu không trăm linh một"``.
    Raises ``ValueError`` for a non-int (``bool`` included) or an out-of-range value.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"number_to_words: expected an int, got {type(n).__name__}")
    if not 0 <= n < 10**12:
        raise ValueError(f"number_to_words: {n} is outside 0 .. 10**12 - 1")
    if n == 0:
        return DIGITS[0]
    groups = []
    while n:
        n, rest = divmod(n, 1000)
        groups.append(rest)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index] == 0:
            continue
        words += _group(groups[index], bool(words), southern)
        if index:
            words.append("ngàn" if southern and index == 1 else _SCALES[index])
    return " ".join(words)


_TICKET_TOKEN = re.compile(r"([0-9]+)|([^\W\d_])|([\s\-./#:_]+)")


def split_ticket_number(text: str) -> list[tuple[str, str]]:
    """Split a printed ticket number into ``("letter", "A")`` and ``("digits", "012")`` parts.

    Separators (space, ``-``, ``.``, ``/``, ``#``, ``:``, ``_``) are dropped; anything else
    raises ``ValueError`` so a garbled number is noticed instead of being read wrongly.
    Shared with the English reading in :mod:`shared.voice`.
    """
    if not isinstance(text, str):
        raise ValueError(f"ticket number must be a string, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text.strip())
    parts, pos = [], 0
    while pos < len(text):
        match = _TICKET_TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"ticket number {text!r}: unexpected character {text[pos]!r}")
        if match.group(1):
            parts.append(("digits", match.group(1)))
        elif match.group(2):
            parts.append(("letter", match.group(2).upper()))
        pos = match.end()
    if not parts:
        raise ValueError("ticket number is empty")
    return parts


def letter_name(letter: str, letters: dict | None = None) -> str:
    """Spoken name of one letter: ``letters`` overrides the default table; unknown letters
    are spoken as themselves (lowercase), which keeps odd prefixes readable by speech."""
    key = unicodedata.normalize("NFC", letter).upper()
    for table in (letters or {}, DEFAULT_LETTERS):
        for name, spoken in table.items():
            if unicodedata.normalize("NFC", name).upper() == key:
                return " ".join(str(spoken).split())
    return key.lower()


def read_ticket_number(text: str, mode: str = "whole", letters: dict | None = None,
                       southern: bool = False) -> list[str]:
    """Words to speak for a printed ticket number such as "1023", "A012" or "0105".

    ``mode="whole"`` reads each digit run as one number with leading zeros dropped
    ("A012" -> a, mười, hai); ``mode="digits"`` reads digit by digit ("0105" -> không,
    một, không, năm). Letters are read by name via ``letters`` (overrides) and
    :data:`DEFAULT_LETTERS`. Each list item is one spoken unit, i.e. one audio clip: a
    number word, or a whole letter name such as "e lờ". Raises ``ValueError`` for an
    empty or garbled number, an unknown mode or a digit run of 13+ digits in whole mode.
    """
    if mode not in ("whole", "digits"):
        raise ValueError(f"read_ticket_number: mode must be 'whole' or 'digits', not {mode!r}")
    words: list[str] = []
    for kind, value in split_ticket_number(text):
        if kind == "letter":
            words.append(letter_name(value, letters))
        elif mode == "digits":
            words += [DIGITS[int(d)] for d in value]
        else:
            words += number_to_words(int(value), southern).split()
    return words
