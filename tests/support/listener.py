"""A TCP listener on 127.0.0.1 that records every connection made to it: what a test of the
outbound defences watches to show that no query reached another server."""

from __future__ import annotations

import socket
import threading
import time


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self.sock.accept()
            except TimeoutError:
                continue
            self.connections.append(address)
            conn.close()

    def settle(self) -> list[tuple[str, int]]:
        """The connections so far, after a moment for any in flight to be accepted."""
        time.sleep(0.2)
        return list(self.connections)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
