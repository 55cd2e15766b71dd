"""Entry point for `flask` and gunicorn (wsgi:app)."""

from server import create_app

app = create_app()
