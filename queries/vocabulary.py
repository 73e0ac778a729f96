"""The words every part of the product shares: import them from here, never retype them.

The metric definitions that use them are in queries/metric_definitions.py.
"""

from datetime import timedelta

# The pooled row of a report: every selected location taken together.
ALL = "ALL"
# How a person sees the `ALL` row's location.
ALL_SELECTED = "All selected"

# Weekday codes of the data contract (capacity files), Monday first: index = `calendar.weekday`.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The same days as pages show them.
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The days a week may start on: code -> name.
WEEK_STARTS = {"mon": "Monday", "sun": "Sunday"}

# Booking statuses of the data contract (the demo generator draws them by this order).
BOOKING_STATUSES = ("scheduled", "completed", "no_show", "late_cancel", "cancelled")
# Bookings that held a room; a `cancelled` booking was freed in time and occupies nothing.
OCCUPYING = ("scheduled", "completed", "no_show", "late_cancel")
# Consultation statuses of the data contract.
CONSULT_STATUSES = ("pending", "scheduled", "completed", "no_show", "cancelled")

# A patient's series is this many completed `initial` bookings.
SERIES_LENGTH = 6
# Consult conversion counts a completed booking up to this long after the consult.
CONVERSION_WINDOW = timedelta(days=30)

# The longest selection a page, a download or the weekly command covers: five years of whole
# weeks. Longer ones are refused (command line) or cut to their last five years (the app).
MAX_SELECTION_WEEKS = 261
