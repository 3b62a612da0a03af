"""Duplicate organisations: telling them apart (.matching, no database), the review queue (.review)
and merging (.merging). Callers import what they use from here."""

from network.services.duplicates.matching import LIKELY, DuplicateIndex, OrgFeatures, normalise_name, score_pair
from network.services.duplicates.merging import MERGE_FIELDS, merge_organizations
from network.services.duplicates.review import (
    duplicate_pairs,
    find_organization,
    find_similar_organizations,
    load_features,
    mark_not_duplicate,
    merge_preview,
)

__all__ = [
    "LIKELY",
    "MERGE_FIELDS",
    "DuplicateIndex",
    "OrgFeatures",
    "duplicate_pairs",
    "find_organization",
    "find_similar_organizations",
    "load_features",
    "mark_not_duplicate",
    "merge_organizations",
    "merge_preview",
    "normalise_name",
    "score_pair",
]
