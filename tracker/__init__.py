"""tracker: compliance deadline tracker with a scheduler.

The package is layered, and the folders show the flow (docs/architecture.md):
core (pure rules) <- store / render / transports <- services (use cases) <-
shells (cli, daemon). ``extract`` is pure too: documents -> a draft plan file.
"""

__version__ = "0.1.0"
