"""Persistence of the clinical record: SQLAlchemy models, engine, Alembic migrations.

``models`` holds the tables, ``db.Database`` the engine and its units of work, and
``migrations/`` the Alembic scripts (run by ``Database.upgrade`` and ``cryotx db upgrade``).
"""

__all__: list[str] = []
