"""Directory search: one interface over two backends (SQLite FTS5, PostgreSQL tsvector + pg_trgm).

- parse_search_params(args) -> SearchParams; search_organizations(actor, params) -> SearchResult
- organization_id_set(actor, params): the ids a search matches (the export, network.services.exporting)
- search_projects / search_initiatives (words, status, theme, region, country, with facet counts
  from record_index's in-memory index)
- rebuild_index(): after bulk inserts that bypass the ORM; ORM writes are indexed automatically
  by a session hook (network.services.search.index), in the same transaction.
"""

from network.services.search.index import rebuild_index
from network.services.search.organizations import (
    FacetValue,
    SearchResult,
    organization_id_set,
    search_organizations,
)
from network.services.search.params import SearchParams, parse_search_params
from network.services.search.records import (
    RecordSearchParams,
    RecordSearchResult,
    parse_record_params,
    search_initiatives,
    search_projects,
)
from network.services.search.saved import delete_saved_search, save_search, saved_searches, shared_search

__all__ = [
    "FacetValue", "RecordSearchParams", "RecordSearchResult", "SearchParams", "SearchResult",
    "delete_saved_search", "organization_id_set", "parse_record_params",
    "parse_search_params", "rebuild_index", "save_search", "saved_searches", "search_initiatives",
    "search_organizations", "search_projects", "shared_search",
]  # fmt: skip
