"""The store: Core tables, ORM models, the engine, and the outbox queue (the
only code that writes the outbox table)."""
