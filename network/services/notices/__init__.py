"""Delivery of notices beyond the app: each user's choice per kind (preferences), the daily digest
(digest) and the notices found by looking, not caused by an operation (memberships ending).
``network.services.notifications.notify`` stays the one entry point that creates notices."""
