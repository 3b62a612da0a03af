"""Bulk inserts for the importer and the demo seeder: the ORM's unit of work, and even SQLAlchemy's
own executemany, cost more than the database for wide batches of plain rows."""

from sqlalchemy import insert

from network.extensions import db


def insert_returning_ids(table, rows: list[dict], key: tuple[str, ...]) -> list[int]:
    """The new rows' ids in the order of `rows`, matched on a key unique within the batch.

    Asking the database for ids in parameter order (sort_by_parameter_order) makes SQLAlchemy insert
    row by row on SQLite; matching on a key keeps the batched multi-row INSERT … RETURNING.
    """
    result = db.session.execute(insert(table).returning(table.c.id, *(table.c[k] for k in key)), rows)
    ids = {tuple(row[1:]): row[0] for row in result}
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: the key {key} is not unique within the batch")
    return [ids[tuple(row[k] for k in key)] for row in rows]


def bulk_insert(conn, table, rows: list[dict]) -> None:
    """executemany straight to the driver, converting values with the columns' own bind processors
    (SQLAlchemy's per-row parameter handling costs more than the database for wide batches)."""
    columns = list(rows[0])
    dialect = conn.dialect
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    converted = [_repeating(p) if p else None for p in processors]
    values = [
        tuple(p(row[c]) if p else row[c] for c, p in zip(columns, converted, strict=True)) for row in rows
    ]  # fmt: skip
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    # Table and column names come from the models, never from the file.
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    conn.exec_driver_sql(statement, values)


def _repeating(processor):
    """The processor, reusing its last result while it is given the same object again: a batch's
    rows share one timestamp object (created_at, updated_at, at), converted once instead of per row."""
    last = [object(), None]

    def convert(value):
        if value is not last[0]:
            last[0], last[1] = value, processor(value)
        return last[1]

    return convert
