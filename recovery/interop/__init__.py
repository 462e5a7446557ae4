"""Exchange with other systems: iCalendar feeds, FHIR."""
