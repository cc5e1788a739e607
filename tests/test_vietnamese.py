"""Vietnamese number reading: a rule table, a property test with an independent parser,
and ticket-number reading."""
import random
import unicodedata

import pytest


from shared.vietnamese import (DEFAULT_LETTERS, NUMBER_WORDS, number_to_words,
                               read_ticket_number)

N, S = False, True  # Northern, Southern

CASES = [
    # units and the teens: "mười", "lăm" after ten, no "mốt"/"tư" after "mười"
    (0, N, "không"), (1, N, "một"), (4, N, "bốn"), (5, N, "năm"), (9, N, "chín"),
    (10, N, "mười"), (11, N, "mười một"), (14, N, "mười bốn"), (15, N, "mười lăm"),
    (19, N, "mười chín"),
    # tens: "mươi", "mốt", "tư", "lăm"
    (20, N, "hai mươi"), (21, N, "hai mươi mốt"), (24, N, "hai mươi tư"),
    (25, N, "hai mươi lăm"), (31, N, "ba mươi mốt"), (34, N, "ba mươi tư"),
    (41, N, "bốn mươi mốt"), (44, N, "bốn mươi tư"), (45, N, "bốn mươi lăm"),
    (50, N, "năm mươi"), (55, N, "năm mươi lăm"), (71, N, "bảy mươi mốt"),
    (99, N, "chín mươi chín"),
    # hundreds: "linh" for a zero tens digit, plain unit names after it
    (100, N, "một trăm"), (101, N, "một trăm linh một"), (104, N, "một trăm linh bốn"),
    (105, N, "một trăm linh năm"), (110, N, "một trăm mười"), (111, N, "một trăm mười một"),
    (114, N, "một trăm mười bốn"), (115, N, "một trăm mười lăm"),
    (121, N, "một trăm hai mươi mốt"), (124, N, "một trăm hai mươi tư"),
    (205, N, "hai trăm linh năm"), (500, N, "năm trăm"), (555, N, "năm trăm năm mươi lăm"),
    # thousands: inner groups say "không trăm"
    (1000, N, "một nghìn"), (1001, N, "một nghìn không trăm linh một"),
    (1005, N, "một nghìn không trăm linh năm"), (1010, N, "một nghìn không trăm mười"),
    (1015, N, "một nghìn không trăm mười lăm"), (1023, N, "một nghìn không trăm hai mươi ba"),
    (1100, N, "một nghìn một trăm"), (1234, N, "một nghìn hai trăm ba mươi tư"),
    (10000, N, "mười nghìn"), (10005, N, "mười nghìn không trăm linh năm"),
    (15000, N, "mười lăm nghìn"), (21000, N, "hai mươi mốt nghìn"),
    (100000, N, "một trăm nghìn"), (105000, N, "một trăm linh năm nghìn"),
    # millions and billions: all-zero groups are skipped with their scale word
    (1000000, N, "một triệu"), (2000000, N, "hai triệu"),
    (1000001, N, "một triệu không trăm linh một"),
    (1001000, N, "một triệu không trăm linh một nghìn"),
    (1000100, N, "một triệu một trăm"),
    (2500000, N, "hai triệu năm trăm nghìn"),
    (1000000000, N, "một tỷ"), (5000000000, N, "năm tỷ"),
    (1000000005, N, "một tỷ không trăm linh năm"),
    (1000010000, N, "một tỷ không trăm mười nghìn"),
    (999999999999, N, "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
                      "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
    # Southern: "ngàn" and "lẻ", everything else shared
    (0, S, "không"), (15, S, "mười lăm"), (21, S, "hai mươi mốt"), (24, S, "hai mươi tư"),
    (105, S, "một trăm lẻ năm"), (110, S, "một trăm mười"), (1000, S, "một ngàn"),
    (1005, S, "một ngàn không trăm lẻ năm"), (1023, S, "một ngàn không trăm hai mươi ba"),
    (15000, S, "mười lăm ngàn"), (101000, S, "một trăm lẻ một ngàn"),
    (1000001, S, "một triệu không trăm lẻ một"), (2000000, S, "hai triệu"),
    (1000000000, S, "một tỷ"),
    (999999999999, S, "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
                      "chín trăm chín mươi chín ngàn chín trăm chín mươi chín"),
]


def test_table_is_big_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("n, southern, expected", CASES)
def test_reading_rules(n, southern, expected):
    assert number_to_words(n, southern=southern) == expected


@pytest.mark.parametrize("bad", [-1, 10**12, 10**15, 1.5, 5.0, "5", None, True, False])
def test_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        number_to_words(bad)


# --------------------------------------------------------------------------- property test

VALUES = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5,
          "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
SCALES = {"nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9}
PLAIN_DIGITS = {"một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}
VOCAB = {False: set(VALUES) | {"mười", "mươi", "trăm", "linh", "nghìn", "triệu", "tỷ"},
         True: set(VALUES) | {"mười", "mươi", "trăm", "lẻ", "ngàn", "triệu", "tỷ"}}


def parse(words):
    """Independent reader: words back to the integer, asserting the grammar as it goes."""
    total, group, digit, last_scale, hundreds = 0, 0, None, None, False
    for i, word in enumerate(words):
        prev = words[i - 1] if i else None
        if word in VALUES:
            assert digit is None, words
            digit = VALUES[word]
        elif word == "trăm":
            assert digit is not None, words
            group, digit, hundreds = group + digit * 100, None, True
        elif word == "mươi":
            assert digit is not None and digit >= 2, words
            group, digit = group + digit * 10, None
        elif word == "mười":
            assert digit is None, words
            group += 10
        elif word in ("linh", "lẻ"):
            assert prev == "trăm", words
        elif word in SCALES:
            scale = SCALES[word]
            assert last_scale is None or scale < last_scale, words
            group, digit = group + (digit or 0), None
            assert 0 < group < 1000, words
            assert last_scale is None or hundreds, words  # inner groups say "không trăm"
            total, group, last_scale, hundreds = total + group * scale, 0, scale, False
        else:
            raise AssertionError(f"unknown word {word!r} in {words}")
    group += digit or 0
    assert last_scale is None or group == 0 or hundreds, words
    return total + group


def check_grammar(n, words, southern):
    assert words and all(words), words
    assert set(words) <= VOCAB[southern], words
    for i, word in enumerate(words):
        prev = words[i - 1] if i else None
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in ("mốt", "tư"):
            assert prev == "mươi", words
        if word == "lăm":
            assert prev in ("mười", "mươi"), words
        if prev == "mươi":
            assert word not in ("một", "bốn", "năm"), words  # mốt, tư, lăm instead
        if prev == "mười":
            assert word not in ("năm", "mốt", "tư"), words  # mười lăm, mười một, mười bốn
        if word in ("linh", "lẻ"):
            assert prev == "trăm" and nxt in PLAIN_DIGITS, words
        if word == "không":
            assert n == 0 or nxt == "trăm", words
        if word in SCALES:
            assert prev is not None and prev not in SCALES, words


def sample_numbers():
    rng = random.Random(20240501)
    numbers = [rng.randrange(10 ** (d - 1), 10**d) for d in range(1, 13) for _ in range(400)]
    numbers += [rng.randrange(10**12) for _ in range(2000)]
    for k in range(13):
        numbers += [10**k - 1, 10**k, 10**k + 1, 10**k + 5, 10**k + 10, 10**k + 15, 10**k + 21]
    numbers += [5 * 10**k + 5 for k in range(12)] + [10**12 - 1]
    return [n for n in numbers if 0 <= n < 10**12]


@pytest.mark.parametrize("southern", [False, True])
def test_property_round_trip(southern):
    numbers = sample_numbers()
    assert len(numbers) > 5000
    for n in numbers:
        text = number_to_words(n, southern=southern)
        assert text == text.strip() and "  " not in text and text == text.lower(), text
        assert unicodedata.is_normalized("NFC", text)
        words = text.split(" ")
        check_grammar(n, words, southern)
        assert parse(words) == n, (n, text)


def test_number_words_constant_covers_both_dialects():
    assert VOCAB[False] | VOCAB[True] == set(NUMBER_WORDS)


# --------------------------------------------------------------------------- ticket numbers

@pytest.mark.parametrize("text, kwargs, expected", [
    ("1023", {}, ["một", "nghìn", "không", "trăm", "hai", "mươi", "ba"]),
    ("1023", {"southern": True}, ["một", "ngàn", "không", "trăm", "hai", "mươi", "ba"]),
    ("0105", {}, ["một", "trăm", "linh", "năm"]),
    ("0105", {"southern": True}, ["một", "trăm", "lẻ", "năm"]),
    ("0105", {"mode": "digits"}, ["không", "một", "không", "năm"]),
    ("0000", {}, ["không"]),
    ("A012", {}, ["a", "mười", "hai"]),
    ("A012", {"mode": "digits"}, ["a", "không", "một", "hai"]),
    ("B-07", {}, ["bê", "bảy"]),
    ("c 25", {}, ["xê", "hai", "mươi", "lăm"]),
    ("D1", {}, ["dê", "một"]),
    ("Đ12", {}, ["đê", "mười", "hai"]),
    ("L1", {}, ["e lờ", "một"]),
    ("AB1", {}, ["a", "bê", "một"]),
    ("A012", {"letters": {"A": "ưu tiên"}}, ["ưu tiên", "mười", "hai"]),
    ("c1", {"letters": {"c": "cê"}}, ["cê", "một"]),
    ("1001", {"mode": "whole"}, ["một", "nghìn", "không", "trăm", "linh", "một"]),
    ("12A", {}, ["mười", "hai", "a"]),
    (unicodedata.normalize("NFD", "Đ5"), {}, ["đê", "năm"]),
    ("1" * 13, {"mode": "digits"}, ["một"] * 13),
])
def test_read_ticket_number(text, kwargs, expected):
    assert read_ticket_number(text, **kwargs) == expected


@pytest.mark.parametrize("text, kwargs", [
    ("", {}), ("   ", {}), ("A@1", {}), ("1" * 13, {}), (1023, {}), ("12", {"mode": "roman"}),
])
def test_read_ticket_number_rejects(text, kwargs):
    with pytest.raises(ValueError):
        read_ticket_number(text, **kwargs)


def test_default_letter_table():
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZĂÂĐÊÔƠƯ":
        assert DEFAULT_LETTERS[letter].strip(), letter
    names = list(DEFAULT_LETTERS.values())
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and unicodedata.is_normalized("NFC", n) for n in names)
