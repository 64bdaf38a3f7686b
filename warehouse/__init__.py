"""Warehouse: DDL, marts as SQL files, the publish step and the query layer."""
