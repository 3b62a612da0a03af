"""Parts of pages rendered once per worker process and kept while what they show is unchanged.

A search's filter panel (about 170 links) cost more than the rest of its page. It shows only the
search's arguments, facet counts read from the in-memory index, and words in the reader's language:
keyed by those (the index generation stands for the counts), it is rendered once per worker.
"""

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from network.kept import Kept

# Panels kept per worker (tens of kB each): the searches people repeat, not every one ever made.
kept = Kept(256)


def rendered(template: str, key: tuple, **context) -> Markup:
    """`template` rendered with `context`, or the copy kept for the same key and language. The key must
    hold everything the template shows that the context may change; the language is added here."""
    return kept.get(
        (template, str(get_locale()), *key),
        lambda: Markup(render_template(template, **context)),  # noqa: S704  (rendered: escaped by Jinja)
    )
