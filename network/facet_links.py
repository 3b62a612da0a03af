"""The links of a facet list (the facet macro of templates/_search.html), built in Python.

The directory's filter panel has about 170 links per page. As a Jinja loop (ten expressions and
escapes per link) and one urlencode of the whole search per link, it took a third of the page's
server time; here the search's other arguments are encoded once per facet, and each link costs one
quote of its value and one f-string. The section around them (what is shown, what folds away) is
built here too: as a macro its filters over every value cost as much again.
"""

from dataclasses import fields
from urllib.parse import quote_plus, urlencode

from flask_babel import gettext as _
from markupsafe import Markup, escape

CHECK = Markup('<span aria-hidden="true">✓ </span>')


def facet_queries(params, name: str, values: list[str]) -> list[str]:
    """params.facet_query(name, value) for each value: the same query strings (page 1, the value
    switched on or off, arguments in field order), the other arguments encoded once."""
    if name not in {f.name for f in fields(params)}:  # founded: two year fields, a few values
        return [params.facet_query(name, value) for value in values]
    args = params.args(page=1)
    order = [f.name for f in fields(params)]
    at = order.index(name)
    before = urlencode([(k, args[k]) for k in order[:at] if k in args], doseq=True)
    after = urlencode([(k, args[k]) for k in order[at + 1 :] if k in args], doseq=True)
    chosen = list(args.get(name, []))
    key = quote_plus(name)
    queries = []
    for value in values:
        now = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        middle = "&".join(f"{key}={quote_plus(str(v))}" for v in now)
        queries.append("&".join(part for part in (before, middle, after) if part))
    return queries


def facet_items(base_url: str, params, name: str, values: list, tree: dict | None = None) -> Markup:
    """The <li> links of one facet's values (FacetValue: value, label, count, selected)."""
    base = escape(base_url)
    items = []
    for v, query in zip(values, facet_queries(params, name, [v.value for v in values]), strict=True):
        depth = f' class="facet-depth-{tree.get(v.value, 0)}"' if tree is not None else ""
        bold, current, check = (" fw-semibold", ' aria-current="true"', CHECK) if v.selected else ("", "", "")
        items.append(
            f'<li{depth}><a href="{base}?{escape(query)}" class="d-flex justify-content-between '
            f'text-decoration-none{bold}"{current} data-facet="{escape(name)}" data-value="{escape(v.value)}">'
            f'<span>{check}{escape(v.label)}</span><span class="badge text-bg-light border ms-2">{v.count:,}</span></a></li>'
        )
    return Markup("\n".join(items))  # noqa: S704  (every value above went through escape())


def facet_section(base_url: str, params, name: str, title: str, values: list, tree: dict | None = None,
                  shown: int = 8, limit: int = 60, heading: str = "h2") -> Markup:  # fmt: skip
    """One facet (the facet macro of templates/_search.html): its heading, the first `shown` values
    (every value of a tree) and chosen ones, the rest up to `limit` folded in a <details>."""
    if not values:
        return Markup("")
    cut = len(values) if tree is not None else shown
    groups = [values[:cut] + [v for v in values[cut:] if v.selected], [v for v in values[cut:limit] if not v.selected]]
    look = "text-uppercase text-muted" if heading == "h2" else "small fw-semibold mb-1"
    parts = [
        f'<section class="mb-3 facet" aria-labelledby="facet-{escape(name)}">',
        f'<{heading} class="h6 {look}" id="facet-{escape(name)}">{escape(title)}</{heading}>',
    ]
    for folded, group in enumerate(g for g in groups if g):
        if folded:
            parts.append(f'<details><summary class="small">{escape(_("%(n)d more", n=len(group)))}</summary>')
        parts += ['<ul class="list-unstyled mb-1 small">', facet_items(base_url, params, name, group, tree), "</ul>"]
        if folded:
            parts.append("</details>")
    parts.append("</section>")
    return Markup("\n".join(parts))  # noqa: S704  (every value above went through escape())
