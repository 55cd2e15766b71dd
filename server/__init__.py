"""The server: the composition root (app.py) and the small kernel features share (kernel.py).

Empty on purpose: importing server.kernel from a feature must not pull in the whole app.
"""
