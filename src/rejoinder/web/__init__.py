"""HTTP: parse requests, call the domain and the store, serialise answers."""
