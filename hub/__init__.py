"""The province hub: its own Flask app on PostgreSQL; offices push their logs to it."""
