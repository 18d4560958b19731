"""Full-text search indexes, one per database vendor.

PostgreSQL: a GIN index on exactly the expression `inbox.search.text_vector`
produces, so that the planner uses it. SQLite: an FTS5 table with the
interactions' text as external content, kept current by triggers.
"""

from __future__ import annotations

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE INDEX inbox_interaction_text_search ON inbox_interaction "
    "USING gin (to_tsvector('german'::regconfig, COALESCE(text, '')))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS inbox_interaction_text_search"]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE inbox_interaction_fts USING fts5("
    "text, content='inbox_interaction', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER inbox_interaction_fts_insert AFTER INSERT ON inbox_interaction "
    "BEGIN INSERT INTO inbox_interaction_fts(rowid, text) "
    "VALUES (new.id, new.text); END",
    "CREATE TRIGGER inbox_interaction_fts_delete AFTER DELETE ON inbox_interaction "
    "BEGIN INSERT INTO inbox_interaction_fts(inbox_interaction_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER inbox_interaction_fts_update AFTER UPDATE OF text "
    "ON inbox_interaction BEGIN "
    "INSERT INTO inbox_interaction_fts(inbox_interaction_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO inbox_interaction_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO inbox_interaction_fts(inbox_interaction_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inbox_interaction_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_interaction_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_interaction_fts_update",
    "DROP TABLE IF EXISTS inbox_interaction_fts",
]
STATEMENTS = {
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def run(schema_editor, direction: int) -> None:
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[
        direction
    ]:
        schema_editor.execute(statement)


def reinstall_sqlite_triggers(apps, schema_editor) -> None:
    """Install the FTS5 triggers again; later migrations call this.

    SQLite rebuilds a table to add some columns, which drops its triggers.
    """
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE_BACKWARD[:3]:
        schema_editor.execute(statement)
    for statement in SQLITE_FORWARD[1:]:
        schema_editor.execute(statement)


def forward(apps, schema_editor) -> None:
    run(schema_editor, 0)


def backward(apps, schema_editor) -> None:
    run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
