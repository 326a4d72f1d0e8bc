"""Personal details out of query text, before a query is queued for the record.

Patients type their e-mail, phone number, birth date or postcode into a search box. What
is kept of a query is its words with each such detail replaced by a placeholder, so the
record says "a phone number was typed here" and never which one. Phone numbers are found
by libphonenumber (the `phonenumbers` package) for the clinic's regions, in national and
international forms; the other kinds have fixed shapes that a pattern names exactly.
"""
from __future__ import annotations

import re
from typing import Iterable

import phonenumbers
from phonenumbers import Leniency

EMAIL, PHONE, DATE, URL, NUMBER, POSTCODE = "[email]", "[phone]", "[date]", "[url]", "[number]", "[postcode]"
DEFAULT_PHONE_REGIONS = ("GB", "US")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'?\d{2})"

#: Applied in order: a URL or an e-mail address holds digits and dots that later patterns would split.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE), EMAIL),
    (
        re.compile(
            r"\b(?:https?://|www\.)\S+"
            # a bare domain: name.tld, or name.co.uk, optionally with a path
            r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|info|co|uk|io|nhs|gov|edu|me|health|clinic)\b(?:/\S*)?",
            re.IGNORECASE,
        ),
        URL,
    ),
    (
        re.compile(
            # numeric dates: 12/03/1985, 12-3-85, 12.03.1985, 1985-03-12
            r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b"
            # written dates: 3 March 1985, 3rd of March 1985, March 3, 1985, March 3rd 1985, March 1985
            rf"|\b{_DAY}\s+(?:of\s+)?{_MONTHS}(?:,?\s+{_YEAR})?\b"
            rf"|\b{_MONTHS}\s+{_DAY}(?:,?\s+{_YEAR})?\b"
            rf"|\b{_MONTHS},?\s+{_YEAR}\b",
            re.IGNORECASE,
        ),
        DATE,
    ),
)
#: UK postcodes (SW1A 1AA, M1 1AE, B33 8TH, CR2 6XH, DN55 1PT), with or without the space.
#: The inward part's letters never include C, I, K, M, O or V.
_POSTCODE = re.compile(r"\b[a-pr-uwyz][a-hk-y]?\d[a-z\d]?\s*\d[abd-hjlnp-uw-z]{2}\b", re.IGNORECASE)
#: Five or more digits in a row: ids, ZIP codes, account and card numbers.
_LONG_NUMBER = re.compile(r"\d{5,}")
#: Three or more groups of digits holding seven or more digits in all: a phone number in a
#: form the configured regions do not know ("06 12 34 56 78"). Two groups ("1000-1500") are a range.
_DIGIT_GROUPS = re.compile(r"\d+(?:[ ().-]+\d+){2,}")
MIN_PHONE_DIGITS = 7
#: Characters without which a query holds nothing to scrub (every kind needs one of them).
_TRIGGERS = re.compile(r"[\d@]|www|\.\w")


def scrub(text: str, phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS) -> str:
    """`text` with e-mail addresses, URLs, dates, phone numbers, UK postcodes and runs of five
    or more digits replaced by placeholders such as "[email]"."""
    if not _TRIGGERS.search(text):
        return text
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    for region in phone_regions:
        text = _replace_phones(text, region)
    text = _DIGIT_GROUPS.sub(_phone_shaped, text)
    text = _POSTCODE.sub(POSTCODE, text)
    return _LONG_NUMBER.sub(NUMBER, text)


def _phone_shaped(match: re.Match[str]) -> str:
    digits = sum(character.isdigit() for character in match.group())
    return PHONE if digits >= MIN_PHONE_DIGITS else match.group()


def _replace_phones(text: str, region: str) -> str:
    found = phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE)
    # Shorter "possible numbers" are ZIP codes and ids: the number pattern names them.
    phones = [match for match in found if sum(c.isdigit() for c in match.raw_string) >= MIN_PHONE_DIGITS]
    for match in reversed(phones):  # from the end, so earlier offsets stay right
        text = text[: match.start] + PHONE + text[match.end :]
    return text
