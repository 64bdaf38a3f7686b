"""The warehouse: settings, strings, errors, locks, run status, SQL, publish and the query layer."""

from pathlib import Path

# The .sql files (raw-store DDL, staging, marts, queries, ops), shipped as package data.
SQL_DIR = Path(__file__).resolve().parent / "sql"
