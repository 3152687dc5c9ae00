"""The store: SQLAlchemy models, engine and sessions, and the queries services need."""
