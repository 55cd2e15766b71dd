"""The queue domain: ticket states, policy, estimates and the SQLite store.

Nothing in this package imports Flask, the printer or audio code.
"""
