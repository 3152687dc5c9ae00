"""The pure core: dates, recurrence, reminder policy, digest grouping, status
rules, retry rules, and parsing plan and unit files.

Nothing here reads the clock, touches the database, sends mail or loads
templates: every function takes ``now`` and plain data and returns a decision,
so a whole year is tested in milliseconds. import-linter (pyproject.toml)
keeps it that way.
"""
