"""Importing places from partners' open-data files (see `manage.py import_places`)."""
