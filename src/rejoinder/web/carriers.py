"""Where a reader's token travels: a header the widget keeps in its own storage, so that it
works where third-party cookies are blocked, and, as a second carrier, a cookie."""

READER_HEADER = "X-Rejoinder-Reader"
VOTER_COOKIE = "rj_voter"
VOTER_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
