"""Exports and reports: the status table as CSV, calendars as iCalendar, and a
self-contained HTML page.

``data`` is the one module that queries the store (through services/status.py);
``csv_export``, ``ics_export`` and ``html_report`` are pure renderers taking the
collected data and returning bytes; ``output`` writes them atomically.
"""
