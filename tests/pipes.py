"""Running code that must not block on a named pipe put where a file is expected."""

import contextlib
import os
import threading

# Long enough for a loaded CI machine, short enough that a hang fails the test quickly.
TIMEOUT = 30


def run_beside_a_pipe(function, fifo):
    """``function()``, run in a thread that must return within ``TIMEOUT`` seconds although
    it reads where the named pipe ``fifo`` is: the test fails rather than hangs."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function()
        except Exception as exc:  # raised again in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    hung = thread.is_alive()
    with contextlib.suppress(OSError):  # a reader blocked on the pipe gets an end of file
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, f"waited on the pipe {fifo}"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
