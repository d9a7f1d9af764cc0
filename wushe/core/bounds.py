"""Upper bounds of the integers people type in (API bodies, page forms, spreadsheet cells).

Python and pydantic integers have no limit, the database's columns do: PostgreSQL refuses a
value beyond int4 (2,147,483,647) in an `IntegerField` with a DataError, which answered 500.
Every entry point bounds its integers by what the domain allows, which is far below the column's
limit: a typo of a few extra zeros is caught with a message that says what is allowed, and the
value can never reach the database. `wushe.core.api` still maps a DataError "out of range" to
422 `input.out_of_range` as a safety net for a field someone forgets to bound.
"""

from __future__ import annotations

# Column limits (PostgreSQL int2/int4/int8); SQLite stores up to int8 in any integer column.
INT2_MAX = 2**15 - 1
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1

# People working for one organisation, station or team.
STAFF_MAX = 100_000
# People one need, project or activity reaches (a large county's population is about a million).
PEOPLE_MAX = 1_000_000
# Minutes in a day: service or travel time recorded for one day.
MINUTES_PER_DAY = 24 * 60
# Hours in a year: a time limit set in hours.
HOURS_MAX = 366 * 24
# Days of ten years: a period set in days.
DAYS_MAX = 3_660
# Pieces of goods in one donation, restock or store item.
QUANTITY_MAX = 1_000_000
# Points or time-bank units in one price, transfer or cap.
POINTS_MAX = 100_000_000
# An amount of a single meal or service in fen (10,000 yuan); int4 columns.
PRICE_FEN_MAX = 1_000_000
# Places of one offering or activity in one period.
CAPACITY_MAX = 100_000
# Either side of an exchange rate between two schemes' units.
RATE_MAX = 1_000_000
