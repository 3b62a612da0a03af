"""Cleaning submitted values into typed ones, collecting a message per invalid field.

Services accept plain dicts (form data, API JSON, spreadsheet rows): strings, numbers, lists or
comma-separated strings. A ``Cleaner`` turns them into typed values and raises one
ValidationError listing every invalid field. With ``partial=True`` (updates), fields that were
not submitted are left alone; otherwise they count as empty (and required ones are reported).
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from network import numbers
from network.errors import ValidationError
from network.extensions import db
from network.models import Organization, Region, Theme

PHONE = re.compile(r"^\+?[0-9 ().\-/]{3,50}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
IDENTIFIER = re.compile(r"^[A-Z]{2,4}-[A-Z0-9]{2,12}-\S{1,100}$")


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == ()


def as_list(value) -> list:
    """A list from a list, or from a comma/semicolon separated string."""
    if is_empty(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    return [v.strip() if isinstance(v, str) else v for v in value if not is_empty(v)]


class Cleaner:
    def __init__(self, data: dict, *, partial: bool = False):
        self.data = data or {}
        self.partial = partial
        self.errors: dict[str, list[str]] = {}
        self.cleaned: dict = {}

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def wanted(self, key: str) -> bool:
        return key in self.data or not self.partial

    def raw(self, key: str):
        value = self.data.get(key)
        return value.strip() if isinstance(value, str) else value

    def forbidden_characters(self, key: str, value: str) -> bool:
        """NUL and other control characters (databases refuse NUL) get a message, not a crash."""
        if CONTROL.search(value):
            self.error(key, _("Contains characters that are not allowed."))
            return True
        return False

    def missing(self, key: str, required: bool) -> bool:
        """True (after recording a message if required) when the field is empty."""
        if is_empty(self.raw(key)):
            if required:
                self.error(key, _("This field is required."))
            else:
                self.cleaned[key] = None
            return True
        return False

    def done(self) -> dict:
        if self.errors:
            raise ValidationError(self.errors)
        return self.cleaned

    # Field kinds -----------------------------------------------------------------------------

    def text(self, key: str, *, max_length: int, required: bool = False, multiline: bool = False) -> None:
        if not self.wanted(key) or self.missing(key, required):
            return
        value = self.raw(key)
        if not isinstance(value, str):
            self.error(key, _("Must be text."))
            return
        if self.forbidden_characters(key, value):
            return
        if not multiline and ("\n" in value or "\r" in value):
            self.error(key, _("Must be a single line."))
        elif len(value) > max_length:
            self.error(key, _("At most %(n)d characters (this is %(length)d).", n=max_length, length=len(value)))
        else:
            self.cleaned[key] = value

    def choice(self, key: str, choices: tuple[str, ...], *, required: bool = False) -> None:
        if not self.wanted(key) or self.missing(key, required):
            return
        value = self.raw(key)
        if value not in choices:
            self.error(key, _("Not a valid choice: %(value)s. Choose one of: %(choices)s.", value=value,
                              choices=", ".join(choices)))  # fmt: skip
        else:
            self.cleaned[key] = value

    def url(self, key: str, *, max_length: int = 300) -> None:
        if not self.wanted(key) or self.missing(key, False):
            return
        value = self.raw(key)
        if not isinstance(value, str):
            self.error(key, _("Must be text."))
            return
        if self.forbidden_characters(key, value):
            return
        if "://" not in value and re.match(r"^[\w-]+(\.[\w-]+)+", value):
            value = "https://" + value  # people type "example.org"
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or "." not in parts.netloc or " " in value:
            self.error(key, _("Not a valid web address; it should look like https://example.org."))
        elif len(value) > max_length:
            self.error(key, _("At most %(n)d characters (this is %(length)d).", n=max_length, length=len(value)))
        else:
            self.cleaned[key] = value

    def email(self, key: str, *, required: bool = False) -> None:
        if not self.wanted(key) or self.missing(key, required):
            return
        value = self.raw(key)
        try:
            if not isinstance(value, str):
                raise EmailNotValidError()
            self.cleaned[key] = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            self.error(key, _("Not a valid email address."))
        else:
            if len(self.cleaned[key]) > 254:
                self.cleaned.pop(key)
                self.error(key, _("At most %(n)d characters (this is %(length)d).", n=254, length=len(value)))

    def phone(self, key: str) -> None:
        if not self.wanted(key) or self.missing(key, False):
            return
        value = self.raw(key)
        if not isinstance(value, str) or not PHONE.match(value):
            self.error(key, _("Not a valid phone number; use digits, spaces and an optional leading +."))
        else:
            self.cleaned[key] = value

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None,
                required: bool = False) -> None:  # fmt: skip
        if not self.wanted(key) or self.missing(key, required):
            return
        value = self.raw(key)
        try:
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = numbers.parse_count(value) if isinstance(value, str) else int(value)
        except numbers.NumberError as error:
            self.error(key, error.message)
            return
        except (TypeError, ValueError):
            self.error(key, _("Must be a whole number."))
            return
        if minimum is not None and number < minimum or maximum is not None and number > maximum:
            if maximum is None:
                self.error(key, _("Must be %(min)d or more.", min=minimum))
            else:
                self.error(key, _("Must be between %(min)d and %(max)d.", min=minimum, max=maximum))
            return
        self.cleaned[key] = number

    def decimal(self, key: str, *, minimum: Decimal | None = Decimal(0), digits: int = 14, places: int = 2) -> None:
        if not self.wanted(key) or self.missing(key, False):
            return
        value = self.raw(key)
        try:
            if isinstance(value, bool):
                raise TypeError
            # Text as people write it ("1,5" is 1.5, "1,200" is asked about): network.numbers
            number = numbers.parse_decimal(value) if isinstance(value, str) else Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
        except numbers.NumberError as error:
            self.error(key, error.message)
            return
        except (InvalidOperation, TypeError, ValueError):
            self.error(key, _("Must be a number, such as 1250.50."))
            return
        if minimum is not None and number < minimum:
            self.error(key, _("Must not be negative."))
        elif -number.as_tuple().exponent > places:
            self.error(key, _("At most %(n)d decimal places.", n=places))
        elif abs(number) >= Decimal(10) ** (digits - places):
            self.error(key, _("Too large."))
        else:
            self.cleaned[key] = number

    def date(self, key: str, *, required: bool = False) -> None:
        if not self.wanted(key) or self.missing(key, required):
            return
        value = self.raw(key)
        if isinstance(value, date):
            self.cleaned[key] = value
            return
        try:
            self.cleaned[key] = date.fromisoformat(str(value))
        except ValueError:
            self.error(key, _("Not a valid date; use YYYY-MM-DD."))

    def boolean(self, key: str) -> None:
        if not self.wanted(key):
            return
        value = self.raw(key)
        if isinstance(value, str):
            value = value.lower() in ("1", "true", "yes", "on", "y")
        self.cleaned[key] = bool(value)

    def currency(self, key: str) -> None:
        if not self.wanted(key) or self.missing(key, False):
            return
        value = self.raw(key)
        code = value.upper() if isinstance(value, str) else value
        if code not in list_currencies():
            self.error(key, _("Not a known ISO 4217 currency code (such as USD, EUR, CNY)."))
        else:
            self.cleaned[key] = code

    def dates_in_order(self, start: str, end: str, existing=None, message: str | None = None) -> None:
        """The end is not before the start (either may come from the record being updated)."""
        first = self.cleaned.get(start, getattr(existing, start, None)) if start not in self.errors else None
        last = self.cleaned.get(end, getattr(existing, end, None)) if end not in self.errors else None
        if first and last and last < first:
            self.error(end, message or _("Must not be before the start date."))

    # References to stored things, kept as codes/slugs in ``cleaned`` ----------------------------

    def country(self, key: str) -> None:
        if not self.wanted(key) or self.missing(key, False):
            return
        value = self.raw(key)
        code = value.upper() if isinstance(value, str) else value
        if code not in country_codes({code} if isinstance(code, str) else set()):
            self.error(key, _("Not a known ISO 3166 country code (two letters, such as KE or CN)."))
        else:
            self.cleaned[key] = code

    def countries(self, key: str) -> None:
        if not self.wanted(key):
            return
        codes = [c.upper() if isinstance(c, str) else c for c in as_list(self.raw(key))]
        known = country_codes({c for c in codes if isinstance(c, str)})
        unknown = [str(c) for c in codes if c not in known]
        if unknown:
            self.error(key, _("Not known ISO 3166 country codes: %(codes)s.", codes=", ".join(unknown)))
        else:
            self.cleaned[key] = sorted(set(codes))

    def themes(self, key: str) -> None:
        if not self.wanted(key):
            return
        slugs = [s.lower() if isinstance(s, str) else s for s in as_list(self.raw(key))]
        known = set(
            db.session.scalars(select(Theme.slug).where(Theme.slug.in_([s for s in slugs if isinstance(s, str)])))
        )
        unknown = [str(s) for s in slugs if s not in known]
        if unknown:
            self.error(key, _("Not known themes: %(themes)s.", themes=", ".join(unknown)))
        else:
            self.cleaned[key] = sorted(set(slugs))

    def organization(self, key: str, *, required: bool = False) -> None:
        """An organisation given as an Organization, an id or a slug."""
        if not self.wanted(key) or self.missing(key, required):
            return
        org = find_organization(self.raw(key))
        if org is None:
            self.error(key, _("No such organisation."))
        else:
            self.cleaned[key] = org


def find_organization(value) -> Organization | None:
    if isinstance(value, Organization):
        return value
    if isinstance(value, int) or isinstance(value, str) and value.isascii() and value.isdigit():
        # Ids are 32-bit on PostgreSQL: a larger number names nothing (and must not reach the database).
        return db.session.get(Organization, int(value)) if 0 < int(value) < 2**31 else None
    if isinstance(value, str):
        return db.session.scalar(select(Organization).where(Organization.slug == value))
    return None


def country_codes(codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return set(db.session.scalars(select(Region.code).where(Region.code.in_(codes), Region.level == "country")))


def regions_by_code(codes: list[str]) -> list[Region]:
    if not codes:
        return []
    found = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    return [found[c] for c in codes]


def themes_by_slug(slugs: list[str]) -> list[Theme]:
    if not slugs:
        return []
    found = {t.slug: t for t in db.session.scalars(select(Theme).where(Theme.slug.in_(slugs)))}
    return [found[s] for s in slugs]


def plain_value(value):
    """A JSON-safe, comparable form of a model value (what audit and conflicts show)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Region):
        return value.code
    if isinstance(value, Theme):
        return value.slug
    if isinstance(value, Organization):
        return value.slug
    if isinstance(value, list | tuple):
        return sorted(plain_value(v) for v in value)
    return value
