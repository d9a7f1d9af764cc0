"""Helpers for migrations that protect append-only tables on PostgreSQL."""

from __future__ import annotations

from typing import Any


def append_only_trigger(table: str) -> tuple[Any, Any]:
    """RunPython callables that install/remove a trigger refusing UPDATE and DELETE on `table`
    (PostgreSQL only; elsewhere the ORM guard of the model is the protection). TRUNCATE is
    left to database privileges: production revokes it from the application role."""
    name = f"{table}_append_only"

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION wushe_refuse_change()"
            )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")

    return forwards, backwards
