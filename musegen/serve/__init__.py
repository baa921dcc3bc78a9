"""Serving the app: background jobs and their store and workers, disk, visitors, sessions, the web page."""
