"""Patients: their own pages, and the patient page staff open."""
