"""gunicorn reads this file from the working directory: access lines without the
secrets of invitation, reset and calendar-feed links (recovery/logs.py)."""

logger_class = "recovery.logs.GunicornLogger"
