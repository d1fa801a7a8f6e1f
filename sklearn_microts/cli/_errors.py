"""The one error the command line reports as a usage error (exit status 2, one line)."""


class UsageError(Exception):
    """Bad input from the user: a missing folder, an unreadable file, a foreign model."""
