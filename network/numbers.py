"""How people write numbers: one reading for every form, the API and the importer.

- One comma or point is the decimal separator: "1,5" and "1.5" are both one and a half.
- One comma or point followed by exactly three digits ("1,200", "1.200") is ambiguous: English
  writes a thousand and two hundred, most of Europe one point two. A decimal is refused with a
  message asking for 1200 or 1.2; a count (a whole number) can only mean 1200, so it is read so.
- Both separators in a consistent form say which is which ("1,200.50" and "1.200,50" are 1200.50),
  and so do several groups ("1,200,000", "1.200.000", Indian "12,00,000").
- Spaces (also no-break and thin spaces) and apostrophes (Swiss "1'200") group thousands.
- Full-width digits and punctuation (Chinese input methods) and other scripts' digits are digits.
- Exponents ("1.5E+06", as spreadsheets write large numbers) are read as written.
- Counts are whole numbers: a fraction is refused, but one or two zeros ("12.0", "1,200.00") dropped.

The API writes decimals as strings such as "100.000"; ``parse_decimal(text, canonical=True)``
reads that form (digits, one point) as written, so what the API gave a client reads back the same.
"""

import re
import unicodedata
from decimal import Context, Decimal

from flask_babel import gettext as _

MAX_LENGTH = 100
SIGN = re.compile(r"([+\-\u2212])?(.*)", re.DOTALL)  # U+2212 is the minus sign proper
SEPARATOR = re.compile(r"([ ',.\u2019])")  # NFKC made every kind of space a plain one
BODY = re.compile(r"[0-9 ',.\u2019]+")
CANONICAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
EXPONENT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+")  # "1.5E+06": the point is a point


class NumberError(ValueError):
    """A number that cannot be read (or not with certainty); ``message`` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _not_a_number(whole: bool) -> NumberError:
    return NumberError(_("Must be a whole number.") if whole else _("Must be a number, such as 1250.50."))


def _digits(text: str) -> str:
    """Full-width and other scripts' digits as ASCII; the sign apart; spaces of every width one."""
    text = unicodedata.normalize("NFKC", text).strip()
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _grouped(runs: list[str]) -> bool:
    """Digit runs that are thousands groups: 1,200,000 (threes) or 12,34,567 (Indian: twos, then three)."""
    head, *rest = runs
    if not rest:
        return True
    if not head or head.startswith("0") or not all(r.isdigit() for r in runs):
        return False
    western = len(head) <= 3 and all(len(r) == 3 for r in rest)
    indian = len(head) <= 2 and len(rest[-1]) == 3 and all(len(r) == 2 for r in rest[:-1])
    return western or indian


def _exact(text: str, whole: bool) -> Decimal:
    """Text in a programming language's form, read as written ("100.000" keeps its places)."""
    number = Decimal(text)
    if abs(number.adjusted()) > MAX_LENGTH or whole and number != number.to_integral_value():
        raise _not_a_number(whole)
    if number.as_tuple().exponent > 0:  # 1E+3 as 1000
        number = number.quantize(Decimal(1), context=Context(prec=2 * MAX_LENGTH))
    return number


def _read(text: str, whole: bool) -> Decimal:
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        raise _not_a_number(whole)
    if EXPONENT.fullmatch(_digits(text)):
        return _exact(_digits(text), whole)
    sign, body = SIGN.fullmatch(_digits(text)).groups()
    minus = "-" if sign in ("-", "\u2212") else ""
    body = body.strip()
    if not BODY.fullmatch(body) or not any(c.isdigit() for c in body):
        raise _not_a_number(whole)
    parts = SEPARATOR.split(body)
    runs, seps = parts[0::2], parts[1::2]
    if "" in runs[1:] or (runs[0] == "" and len(seps) != 1):
        raise _not_a_number(whole)  # "1,,2", "5.", ",1,2"
    integer, fraction = runs, []
    kinds = set(seps)
    if len(seps) == 1 and seps[0] in ",.":
        head, tail = runs
        ambiguous = len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")
        if not ambiguous:
            integer, fraction = [head], [tail]
        elif not whole:
            grouped, point = minus + head + tail, minus + f"{head}.{tail}".rstrip("0").rstrip(".")
            raise NumberError(
                _("%(text)s could mean %(grouped)s or %(point)s; write %(grouped)s or %(point)s.",
                  text=text.strip(), grouped=grouped, point=point)
            )  # fmt: skip
    elif len(kinds) == 2 and seps[-1] in ",." and seps.count(seps[-1]) == 1:
        integer, fraction = runs[:-1], runs[-1:]  # "1,200.50", "1.200,50", "1 200,5"
    elif len(kinds) > 1:
        raise _not_a_number(whole)
    if not _grouped(integer):
        raise _not_a_number(whole)
    digits = "".join(integer) or "0"
    decimals = "".join(fraction).rstrip("0")
    if whole and (decimals or len("".join(fraction)) > 2):
        raise _not_a_number(whole)  # "12.5"; but "12.0" and "1,200.00" are whole (spreadsheets write them)
    return Decimal(f"{minus}{digits}.{decimals}" if decimals else f"{minus}{digits}")


def _plain(number: Decimal) -> Decimal:
    """Without the trailing zeros of the fraction (1.500 is 1.5), never in exponent form (1E+3)."""
    exact = Context(prec=2 * MAX_LENGTH)  # the default 28 digits would round long numbers
    if number.as_tuple().exponent < 0:
        number = number.normalize(exact)
    if number.as_tuple().exponent > 0:
        number = number.quantize(Decimal(1), context=exact)
    return number


def parse_decimal(text: str, *, canonical: bool = False) -> Decimal:
    """A decimal written as people write it (see the module's rules); raises NumberError.

    ``canonical``: text in JSON's own form ("1250.5", "1.200", "1e3") is read as written: the
    API's strings; anything else is read like a form's text."""
    if canonical and isinstance(text, str) and len(text) <= MAX_LENGTH and CANONICAL.fullmatch(text):
        return _exact(text, whole=False)
    return _plain(_read(text, whole=False))


def parse_count(text: str) -> int:
    """A whole number written as people write it: "1,200", "1.200" and "1 200" are 1200."""
    return int(_read(text, whole=True))


def input_text(value) -> str:
    """How a form shows a stored number: text that reads back as the same value.

    Stored tCO2e have three places: 100.000 shows as 100, and 1.234 as 1.2340 (1.234 would be
    ambiguous)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        return str(value)
    text = format(_plain(value), "f")
    try:
        if parse_decimal(text) == value:
            return text
    except NumberError:
        pass
    return text + "0"
