"""Dashboard: the Dash app (wall display, leadership view) over the published snapshot."""
