"""The store: Core tables, ORM models, the engine, and one writer module per
table (the outbox queue, the inbox, units, assignments, ...: docs/architecture.md,
"One writer per table")."""
