"""``asynchat.async_chat``, the base class legacy channels were built on.

Legacy programs call ``asynchat.async_chat.push(self, ...)`` and friends unbound on
their channels and test ``isinstance(channel, asyncore.dispatcher)``, so
``SMTPChannel`` derives from the real class wherever it can be imported: the stdlib
module up to 3.11, the maintained backport (``pyasynchat``) from 3.12 on. Looked up in
``sys.modules`` first, as the package looks up ``asyncore``: CPython's own 3.12/3.13
test suites alias their private copies there before importing us.

:class:`SocketlessChat` stands in only where no ``asynchat`` can be imported (the
backport uninstalled): enough of the async_chat surface for channels the engine
serves; a channel on a plain socket then needs the real module.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType
from typing import Any, Deque, Optional


def legacy_module(name: str) -> Optional[ModuleType]:
    """``asyncore``/``asynchat`` as the program sees it; None if it cannot be imported."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.10 and 3.11 warn
            return importlib.import_module(name)
    except ImportError:
        return None


class SocketlessChat:
    """The async_chat surface a bridged channel uses, without asynchat.

    Output goes to ``self.socket.send`` (the engine's connection), the producer
    fifo and the terminator live where asynchat keeps them."""

    ac_in_buffer_size = 65536
    ac_out_buffer_size = 65536
    use_encoding = 0
    encoding = "latin-1"
    connected = False
    accepting = False
    connecting = False
    closing = False
    addr: Any = None
    socket: Any = None
    terminator: Any = None

    def __init__(self, sock: Any = None, map: Any = None) -> None:
        raise RuntimeError(
            "an SMTPChannel built on a socket object needs the asynchat module "
            "(on Python 3.12+: pip install pyasynchat)"
        )

    ac_in_buffer: bytes
    producer_fifo: Deque[Any]

    def set_terminator(self, term: Any) -> None:
        if isinstance(term, int) and term < 0:
            raise ValueError("the number of received bytes must be positive")
        self.terminator = term

    def get_terminator(self) -> Any:
        return self.terminator

    def push(self, data: bytes) -> None:
        size = self.ac_out_buffer_size
        for start in range(0, max(len(data), 1), size):
            self.producer_fifo.append(data[start : start + size])
        self.initiate_send()

    def push_with_producer(self, producer: Any) -> None:
        self.producer_fifo.append(producer)
        self.initiate_send()

    def close_when_done(self) -> None:
        self.producer_fifo.append(None)

    def initiate_send(self) -> None:
        raise NotImplementedError  # SMTPChannel sends everything queued

    def discard_buffers(self) -> None:
        self.ac_in_buffer = b""
        self.producer_fifo.clear()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return bool(self.producer_fifo) or not self.connected

    def send(self, data: bytes) -> int:
        result: int = self.socket.send(data)
        return result

    def close(self) -> None:
        self.connected = False
        if self.socket is not None:
            self.socket.close()

    def handle_close(self) -> None:
        self.close()


asynchat = legacy_module("asynchat")
ChatBase: Any = asynchat.async_chat if asynchat is not None else SocketlessChat
