"""tracker: compliance deadline tracker with a scheduler.

The package is layered: a pure core (calendar, schedule, policy, planfile,
extract, mail rendering) that never reads the clock, sends or touches the
database; services that use the store; and thin shells (cli, daemon).
"""

__version__ = "0.1.0"
