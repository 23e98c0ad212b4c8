"""Storage: every SQL statement of the product lives in this package, and only here."""
