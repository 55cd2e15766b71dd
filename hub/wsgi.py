"""`flask --app hub.wsgi ...` and gunicorn's `hub.wsgi:app`."""

from hub.app import create_app

app = create_app()
