"""Bulk import of organisations from CSV and Excel: read, check, preview, commit, undo.

One pass (run.py) streams the file in batches: reading.py opens it and maps its header, rows.py
cleans each row with the same rules as the forms (``organizations.validate_organization``) and
resolves references (countries, themes, nodes) in memory, matching.py classifies it as new,
updated, unchanged, possible duplicate or invalid, and writing.py saves it (bulk INSERTs for new
organisations, the ORM for updates) and undoes an import. jobs.py runs the web flow on the task
queue. The columns, header names and the formula guard, shared with the export, are in
``network.services.spreadsheet``.

What the views, the CLI and the API call:
"""

from network.services.importing.jobs import (
    get_job,
    import_folder,
    import_log,
    job_progress,
    record_job,
    start_commit,
    upload_file,
)
from network.services.importing.reading import open_table, write_rejected
from network.services.importing.run import ImportOptions, run_import, write_import
from network.services.importing.writing import undo_import

__all__ = [
    "ImportOptions",
    "get_job",
    "import_folder",
    "import_log",
    "job_progress",
    "open_table",
    "record_job",
    "run_import",
    "start_commit",
    "undo_import",
    "upload_file",
    "write_import",
    "write_rejected",
]
