"""The web shell (``tracker serve``): units' and coordinators' signed pages over
the same services as the CLI. Starlette and uvicorn are imported only here."""
