"""Framework-free foundation: settings, database, Redis, errors and security helpers."""
