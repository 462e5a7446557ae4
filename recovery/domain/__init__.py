"""Pure domain logic: no Flask, no SQLAlchemy, no clock reads (today is an argument)."""
