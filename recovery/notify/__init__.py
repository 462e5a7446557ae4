"""Outgoing messages."""
