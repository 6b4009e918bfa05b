"""The numbered SQL migrations (`NNN_name.sql`), read with importlib.resources by storage.database."""
