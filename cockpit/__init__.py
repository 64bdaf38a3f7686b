"""The ``cockpit`` command line: the top layer, one click group tree (``cockpit.cli``)."""
