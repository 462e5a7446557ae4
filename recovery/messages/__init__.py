"""Messages between a patient (or their caregiver) and the care team."""
