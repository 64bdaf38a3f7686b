"""ETL: read exports, validate, load the raw store, build and publish the snapshot."""
