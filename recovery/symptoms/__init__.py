"""Symptom check-ins and red-flag alerts."""
