"""How the app reads what clients send, refusing with a 400 what Python would turn into a 500.

Python's ``json`` decodes ``"\\ud800"`` into a string that no database or encoder accepts, and
raises RecursionError (not a decoding error) on a body of 100,000 ``[``; werkzeug decodes a raw
(not percent-encoded) byte of the query string strictly as UTF-8. All are the client's mistakes.
"""

import re
from typing import Any

from flask import Request as FlaskRequest
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

# Far deeper than any schema of the API, far shallower than the interpreter's recursion limit.
MAX_DEPTH = 32
RAW_BYTE = re.compile(rb"[\x80-\xff]")


class Request(FlaskRequest):
    """Raw bytes beyond ASCII in the query string are percent-encoded, as a browser sends them:
    werkzeug then keeps what is not UTF-8 (a lone surrogate's bytes) as %XX text instead of failing."""

    def __init__(self, environ, *args, **kwargs):
        super().__init__(environ, *args, **kwargs)
        if not self.query_string.isascii():
            self.query_string = RAW_BYTE.sub(lambda m: b"%%%02X" % m[0][0], self.query_string)


def has_lone_surrogate(text: str) -> bool:
    """A UTF-16 surrogate on its own: JSON's \\uXXXX allows it, UTF-8 cannot encode it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def body_problem(data: Any) -> str | None:
    """Why a decoded JSON body cannot be used (with a JSON pointer to the place), or None."""
    stack = [(data, "", 0)]
    while stack:
        value, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"it is nested more than {MAX_DEPTH} levels deep (at {pointer})."
        if isinstance(value, str) and has_lone_surrogate(value):
            return f"the text at {pointer or '/'} is not valid Unicode (a lone surrogate such as \\ud800)."
        if isinstance(value, dict):
            for key, item in value.items():
                if has_lone_surrogate(key):
                    return f"a key in {pointer or '/'} is not valid Unicode (a lone surrogate such as \\ud800)."
                stack.append((item, f"{pointer}/{_escape(key)}", depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{i}", depth + 1) for i, item in enumerate(value))
    return None


class BodyParser(FlaskParser):
    """webargs' Flask parser (the API's), with the checks above; a malformed body stays webargs' 400."""

    def _raw_load_json(self, req):
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            raise BadRequest(
                f"The request body is not valid JSON: it is nested more than {MAX_DEPTH} levels deep."
            ) from None
        problem = body_problem(data)
        if problem:
            raise BadRequest(f"The request body is not valid JSON: {problem}")
        return data
