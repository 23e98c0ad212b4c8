"""Pure rules of the product: no I/O, no framework, no database imports."""
