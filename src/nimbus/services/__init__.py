"""Domain logic, no HTTP: each service checks a permission, reads and writes the store."""
