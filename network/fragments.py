"""Parts of pages rendered once per worker process and kept while what they show is unchanged.

A search's filter panel (about 170 links) cost more than the rest of its page; it shows only the
search's arguments, facet counts read from the in-memory index (its generation stands for them) and
words in the reader's language. The node tree of /networks changes only with the facet index's
generation; the overview's latest changes are the same for every visitor until the next public
change (the ids of the changes shown stand for them). README: "What a worker keeps".
"""

from collections.abc import Callable

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from network.kept import Kept

# Panels kept per worker (tens of kB each): the searches people repeat, not every one ever made.
kept = Kept(256)


def rendered(template: str, key: tuple, context: Callable[[], dict]) -> Markup:
    """`template` rendered with what context() returns (asked only when it is rendered), or the copy
    kept for the same key and language. The key must hold everything the template shows that may
    differ between two renderings; the language is added here."""
    return kept.get(
        (template, str(get_locale()), *key),
        lambda: Markup(render_template(template, **context())),  # noqa: S704  (rendered: escaped by Jinja)
    )


def record_filters(result, endpoint: str) -> Markup:
    """The filter panel of a project or initiative search (templates/_record_filters.html)."""
    key = (endpoint, result.generation, result.params.query_string(page=1))
    return rendered(
        "_record_filters.html", key, lambda: {"result": result, "params": result.params, "endpoint": endpoint}
    )
