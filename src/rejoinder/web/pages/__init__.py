"""Server-rendered pages: the site (home, article, search) and, later, the admin screens."""
