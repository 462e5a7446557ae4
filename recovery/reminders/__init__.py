"""Reminders planned from the timeline and sent once."""
