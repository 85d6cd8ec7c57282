"""Alembic environment: runs on the connection handed over by ``cryotx.store.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cryotx.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as own:
        context.configure(connection=own, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
        own.commit()
else:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
