"""Clinical notes on a patient: timestamped, authored, corrected by appending."""
