"""Rendering, pure: plain data in, text or bytes out.

``mail`` renders digests from the Jinja2 templates (loaded once per process),
``message`` builds the MIME bytes of one outbox row, ``csv_export``, ``ics``
and ``html_report`` render the status rows and report data that
services/reportdata.py collects from the store.
"""
