"""Where code runs: the shared event loop, the program's own loop thread, a pool.

Nothing here knows SMTP. Three places run work:

* :class:`EventLoopThread`: one asyncio loop shared by every connection being
  served. It is run *by the program's loop thread*: its selector's descriptor is
  an entry of the program's socket map (:class:`LoopSlot`), and each time it is
  ready that thread runs one iteration, then the user code the iteration queued,
  so a message never crosses threads (a cross-CPU thread hand-off costs more
  than the rest of the message on a small VM; bench/README.md). A lock, the
  *baton*, says who runs the loop. A helper thread exists while sessions exist:
  when work waits a whole tick and no program loop comes round (a slow
  ``process_message``, or no loop polls at all), it takes the baton and runs the
  loop until a program loop asks for it back. An open but idle server holds no
  thread.
* :class:`ProgramLoopJobs`: the thread that runs the program's own loop
  (``asyncore.loop()``, ``smtpd_compat.loop()``, a ``count=`` polling loop) over one
  socket map. It is an entry in that map, woken through a socket pair when jobs
  arrive from elsewhere, and runs queued jobs inside the program's loop, as legacy
  ran every hook. Nothing runs while no loop runs.
* :class:`WorkerPool`: ``concurrency=N`` threads, for programs that opt out of
  thread affinity to run ``process_message`` N at a time.

Helper threads block SIGINT/SIGTERM so signals reach the program's main thread, and
every join has a deadline.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
import queue
import select
import selectors
import signal
import socket
import sys
import threading
import time
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

Done = Callable[[Any, Optional[BaseException]], None]

#: Seconds between the helper's looks at a loop no program loop may be running.
TICK = 0.01
#: Seconds a closing loop waits for its cancelled tasks to finish.
SHUTDOWN_WAIT = 5.0
#: Seconds the helper outlives the last session: a client that reconnects (a
#: sender's next message, a benchmark's next phase) does not pay for a new thread,
#: and an open server nobody connects to holds no thread once they are over.
LINGER = 0.5
#: Longest single wait of a lingering helper (it has no session to watch; it
#: looks again at whether ``LINGER`` is over, a session wakes it at once).
LINGER_WAIT = 0.1
#: Timers on the heap above which an iteration is asyncio's own (it compacts
#: the heap of cancelled timers; asyncio's threshold).
LEAN_TIMERS = 100
#: Loop iterations (each followed by the jobs it queued) per wake of a program loop.
SERVE_ROUNDS = 8

#: What ended legacy's loop instead of reaching ``handle_error``.
LOOP_ENDING_NAMES = frozenset({"ExitNow", "KeyboardInterrupt", "SystemExit"})


def ends_program_loop(exc: BaseException) -> bool:
    """``asyncore.ExitNow`` (of whichever asyncore), Ctrl-C, ``sys.exit()``."""
    return type(exc).__name__ in LOOP_ENDING_NAMES or not isinstance(exc, Exception)


def block_signals() -> None:
    """Helper threads leave SIGINT/SIGTERM to the program's main thread."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class Job:
    """One call of user code, and what to do with its outcome. A job cancelled
    before it starts never runs: its session is gone or the server has closed."""

    __slots__ = ("fn", "done", "owner", "cancelled", "started")

    def __init__(self, fn: Callable[[], Any], done: Done, owner: Any = None) -> None:
        self.fn = fn
        self.done = done
        self.owner = owner
        self.cancelled = False
        self.started = False

    def run(self) -> Optional[BaseException]:
        """Run unless cancelled; report to ``done``; return a loop-ending error."""
        if self.cancelled:
            return None
        self.started = True
        try:
            result, error = self.fn(), None
        except BaseException as exc:  # the session decides; loop-ending ones re-raise
            result, error = None, exc
        self.done(result, error)
        return error if error is not None and ends_program_loop(error) else None


class EngineLoop(asyncio.SelectorEventLoop):
    """The shared loop; it can tell whether work is waiting without running.

    Pinned asyncio internals (``_pins.ASYNCIO_INTERNALS``, checked at import and
    by :func:`check_engine_loop` when the first loop is made): ``_ready``
    (callbacks due now), ``_scheduled`` (the timer heap), ``_run_once`` (one
    iteration; it polls without waiting while ``_stopping`` is set),
    ``_thread_id`` (what ``is_running()`` reads), ``_process_events`` (queues
    the handlers of ready descriptors), ``_debug``, and a handle's ``_run``,
    ``_cancelled`` and ``_when``."""

    _ready: Deque[asyncio.Handle]
    _scheduled: List[asyncio.TimerHandle]
    _stopping: bool
    _thread_id: Optional[int]
    _debug: bool
    _run_once: Callable[[], None]
    _process_events: Callable[[List[Tuple[selectors.SelectorKey, int]]], None]

    def __init__(self, selector: selectors.BaseSelector) -> None:
        super().__init__(selector)
        self._poll_now = selector.select
        self._resolution = time.get_clock_info("monotonic").resolution
        #: An epoll selector's own epoll object and descriptor table (pinned
        #: ``selectors`` internals): :meth:`_run_ready_io` reads them directly.
        self._epoll: Any = None
        self._fd_to_key: Dict[int, selectors.SelectorKey] = {}
        if isinstance(selector, getattr(selectors, "EpollSelector", ())):
            self._epoll = selector._selector  # type: ignore[attr-defined]
            self._fd_to_key = selector._fd_to_key  # type: ignore[attr-defined]

    def run_once(self) -> None:
        """One iteration that does not wait: ``call_soon(stop); run_forever()``
        without their set-up and tear-down (a third of an iteration's cost, paid
        on every wake of the program's loop). Async generators first iterated
        here are not tracked for ``shutdown_asyncgens`` (none are: aiosmtpd and
        the bridge use none)."""
        self._thread_id = threading.get_ident()
        try:
            if self._nothing_to_tidy():
                self._run_ready_io()
            else:
                asyncio._set_running_loop(self)
                self._stopping = True  # poll with timeout 0, as a pending stop() would
                try:
                    self._run_once()
                finally:
                    self._stopping = False
                    asyncio._set_running_loop(None)
        finally:
            self._thread_id = None

    def _nothing_to_tidy(self) -> bool:
        """``_run_once`` would only poll and run handles: no debug timing, no
        timer due or cancelled at the head of the heap, a heap too small for
        asyncio to compact (sessions' idle timers lie minutes ahead)."""
        if self._debug:
            return False
        scheduled = self._scheduled
        if not scheduled:
            return True
        head = scheduled[0]
        return (
            len(scheduled) <= LEAN_TIMERS
            and not head._cancelled
            and head._when >= time.monotonic() + self._resolution  # type: ignore[attr-defined]
        )

    def _run_ready_io(self) -> None:
        """What ``_run_once`` does when :meth:`_nothing_to_tidy` holds: poll
        without waiting, queue the handlers of what is ready, run the handles
        queued until then (later ones wait for the next iteration).

        asyncio's running loop is set (two ``getpid`` calls in CPython's C code)
        only if callbacks were queued before the poll (tasks, futures' callbacks:
        coroutines ask for the running loop). Descriptors' handlers alone (a
        session's read or write, the common iteration) never ask for it, and user
        code they reach (a stock channel's DEBUGSTREAM) sees no running loop, as
        under legacy; aiosmtpd's log lines are still told apart by the baton
        (:func:`engine_loop_running_here`)."""
        ready = self._ready
        callbacks_first = bool(ready)
        if self._epoll is not None:
            self._queue_ready_epoll()
        else:
            self._process_events(self._poll_now(0))
        if callbacks_first:
            asyncio._set_running_loop(self)
            try:
                self._run_handles(len(ready))
            finally:
                asyncio._set_running_loop(None)
            return
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _run_handles(self, count: int) -> None:
        ready = self._ready
        for _ in range(count):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _queue_ready_epoll(self) -> None:
        """``EpollSelector.select(0)`` and ``_process_events`` in one pass (the
        same event masks, the same handles queued); a cancelled handle goes
        through ``_process_events`` itself, which unregisters it."""
        fd_to_key, ready = self._fd_to_key, self._ready
        for fd, event in self._epoll.poll(0, max(len(fd_to_key), 1)):
            key = fd_to_key.get(fd)
            if key is None:
                continue
            reader, writer = key.data
            if event == select.EPOLLIN and reader is not None and not reader._cancelled:
                ready.append(reader)  # the common case: data to read
                continue
            mask = 0
            if event & ~select.EPOLLIN:
                mask |= selectors.EVENT_WRITE
            if event & ~select.EPOLLOUT:
                mask |= selectors.EVENT_READ
            mask &= key.events
            if mask & selectors.EVENT_READ and reader is not None and not reader._cancelled:
                ready.append(reader)
                mask &= ~selectors.EVENT_READ
            if mask & selectors.EVENT_WRITE and writer is not None and not writer._cancelled:
                ready.append(writer)
                mask &= ~selectors.EVENT_WRITE
            if mask:
                self._process_events([(key, mask)])

    def run_callbacks(self, callbacks: List[Tuple[Callable[..., Any], Tuple[Any, ...]]]) -> None:
        """Run callbacks as handles of an iteration would (errors to the loop's
        exception handler), without polling: user code's completions, run by
        the thread that ran the user code. Any left by a loop-ending error are
        scheduled. They are the bridge's own (a session resuming after user
        code) and ask for no running loop, so none is set (see
        :meth:`_run_ready_io`)."""
        self._thread_id = threading.get_ident()
        try:
            while callbacks:
                fn, args = callbacks.pop(0)
                try:
                    fn(*args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:
                    self.call_exception_handler(
                        {"message": "Exception in callback %r" % (fn,), "exception": exc}
                    )
        finally:
            self._thread_id = None
            for fn, args in callbacks:
                self.call_soon(fn, *args)

    def has_ready_callbacks(self) -> bool:
        return bool(self._ready)

    def has_due_timer(self) -> bool:
        scheduled = self._scheduled
        return bool(scheduled) and scheduled[0].when() <= self.time()


class _RecordingSelector(selectors.DefaultSelector):
    """For :func:`check_engine_loop`: the timeouts asyncio asks for, never waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: List[Optional[float]] = []

    def select(self, timeout: Optional[float] = None) -> Any:
        self.timeouts.append(timeout)
        return super().select(0)


_engine_loop_checked = False


def check_engine_loop(loop_class: Any = None) -> None:
    """What :class:`EngineLoop` assumes of asyncio, tried once per process on a
    loop of its own: an iteration runs what is ready and what a descriptor
    queued, with the loop running only meanwhile; asyncio's own iteration polls
    without waiting while ``_stopping`` is set. RuntimeError, naming what
    differs, rather than a loop that misbehaves (or waits forever) later."""
    global _engine_loop_checked
    if _engine_loop_checked and loop_class is None:
        return
    problems: List[str] = []
    selector = _RecordingSelector()
    loop = (loop_class or EngineLoop)(selector)
    reader, writer = socket.socketpair()
    try:
        seen: List[Any] = []
        loop.call_soon(lambda: seen.append(("soon", asyncio._get_running_loop())))
        reader.setblocking(False)
        loop.add_reader(reader.fileno(), lambda: seen.append(("read", reader.recv(1))))
        writer.send(b"x")
        loop.run_once()  # the lean iteration: a handle, then the descriptor's
        loop.run_once()
        if ("soon", loop) not in seen or ("read", b"x") not in seen:
            problems.append("an iteration did not run what was ready: %r" % (seen,))
        if loop.is_running() or asyncio._get_running_loop() is not None:
            problems.append("the loop still counts as running after an iteration")
        loop.set_debug(True)  # asyncio's own iteration (debug timing)
        del selector.timeouts[:]
        loop.run_once()
        if selector.timeouts != [0]:
            problems.append("_run_once with _stopping polled with %r" % (selector.timeouts,))
        loop.set_debug(False)
        loop.call_later(0, lambda: seen.append(("later", None)))
        time.sleep(2 * loop._resolution)  # the timer is due: asyncio's own iteration
        loop.run_once()
        if ("later", None) not in seen:
            problems.append("a due timer did not run")
    except Exception as exc:  # an internal gone or changed
        problems.append(repr(exc))
    finally:
        loop.remove_reader(reader.fileno())
        reader.close()
        writer.close()
        loop.close()
    if problems:
        raise RuntimeError(
            "smtpd_compat runs asyncio's event loop through internals that behave "
            "differently on this Python (%s): %s. It supports Python 3.8 to 3.13."
            % (sys.version.split()[0], "; ".join(problems))
        )
    if loop_class is None:
        _engine_loop_checked = True


def engine_loop_running_here() -> bool:
    """True inside an iteration of the shared loop (on whichever thread runs it):
    asyncio's running loop is ours, or this thread holds the engine's baton (an
    iteration that runs descriptors' handlers only does not set the running loop)."""
    if isinstance(asyncio._get_running_loop(), EngineLoop):
        return True
    engine = EventLoopThread._current
    return engine is not None and engine.running_here()


class _Helper:
    """The event-loop helper thread of one stretch of sessions (see EventLoopThread)."""

    def __init__(self, engine: EventLoopThread) -> None:
        self.stopping = False
        #: Close the engine's loop on the way out: it was detached from a finaliser,
        #: which must not wait for the loop (see :meth:`EventLoopThread.remove_runner`).
        self.closes_loop = False
        #: Asleep with no session to watch until ``LINGER`` is over or a session
        #: comes (:meth:`wake`); set and read under ``EventLoopThread._lock``.
        self.lingering = False
        #: Held while it runs: a tick is one timed acquire (one futex wait, no
        #: Condition machinery: the tick is paid on every message); stop() and
        #: wake() release it.
        self.alarm = threading.Lock()
        self.alarm.acquire()
        self.thread = threading.Thread(
            target=engine._helper_main, args=(self,), name="smtpd_compat-loop", daemon=True
        )

    def start(self) -> None:
        """Never under ``EventLoopThread._lock``: ``Thread.start()`` waits for the new
        thread, and a runner collected there (``ProgramLoopJobs.__del__``, at any
        allocation) takes that lock to leave the engine."""
        self.thread.start()

    def stop(self, engine: EventLoopThread, timeout: Optional[float]) -> None:
        """Make it leave; wait ``timeout`` seconds for that (None: do not wait)."""
        if self.stopping:
            return
        self.stopping = True
        self._ring()
        if engine._helper_running:  # it runs the loop: end that run
            try:
                engine.loop.call_soon_threadsafe(engine.loop.stop)
            except RuntimeError:  # closed
                pass
        if timeout is None or threading.current_thread() is self.thread:
            return
        # Not started yet (acquire() starts it after the lock): no join, it sees
        # ``stopping`` and returns at once.
        if self.thread.ident is not None:
            self.thread.join(timeout)

    def _ring(self) -> None:
        try:
            self.alarm.release()
        except RuntimeError:  # rung already, not heard yet
            pass

    def wake(self) -> None:
        """A session came while it lingers: back to ticking (under the engine's lock)."""
        if self.lingering:
            self.lingering = False
            self._ring()

    def tick(self, timeout: float) -> bool:
        """Wait ``timeout`` seconds or until rung; False once stopped."""
        self.alarm.acquire(timeout=timeout)
        return not self.stopping


class EventLoopThread:
    """The asyncio loop every connection is served on, and who runs it.

    The loop polls a selector whose descriptor sits in each program's socket map
    (:class:`LoopSlot`), so the program's own loop thread runs the loop, one
    iteration each time that descriptor is ready, and then the user code those
    iterations queued: no message crosses threads. A lock (the *baton*) says who
    runs the loop. While sessions exist, a helper thread ticks every ``TICK``
    seconds: when work has waited a whole tick and no program loop came round
    (user code is running, or no program loop polls), it takes the baton and runs
    the loop until a program loop comes round and asks for it back. The loop
    lives while a server is open or a session exists; the helper while a session
    exists and ``LINGER`` seconds after the last one (at once once no server is
    open)."""

    #: Reentrant: a runner collected while this thread holds it (the garbage
    #: collector runs ``ProgramLoopJobs.__del__`` at any allocation) leaves the
    #: engine through it (:meth:`remove_runner`).
    _lock = threading.RLock()
    _current: Optional[EventLoopThread] = None

    def __init__(self) -> None:
        check_engine_loop()
        self.selector = selectors.DefaultSelector()
        self.loop = EngineLoop(self.selector)
        #: Program loops poll the selector's descriptor (epoll, kqueue); without
        #: one (Windows) the helper runs the loop all the time, as a thread would.
        self.pollable = hasattr(self.selector, "fileno")
        self.baton = threading.Lock()
        self._baton_owner: Optional[int] = None
        self.users = 0  # sessions and those waiting for them
        self.runners = 0  # socket maps whose loops poll us
        #: Their job runners: the helper looks at which run user code. Weak: a
        #: runner whose map was cleared (``asyncore.close_all()``) is closed
        #: when collected, which is what lets the loop close.
        self.runner_jobs: weakref.WeakSet[ProgramLoopJobs] = weakref.WeakSet()
        #: Servers whose listening socket the loop watches while the helper runs it.
        self.watching: List[Any] = []
        self._idle_since = 0.0  # when users last dropped to 0
        self.progress = 0  # bumped whenever a program loop comes round
        self._flags = threading.Lock()
        self._helper: Optional[_Helper] = None
        self._helper_running = False
        self._handback = False
        self._handback_to: List[ProgramLoopJobs] = []
        self._close_pending = False
        #: While the helper runs the loop: its timer to end a run nobody needs.
        self._needed_check: Optional[asyncio.TimerHandle] = None

    def fileno(self) -> int:
        fileno: int = self.selector.fileno()
        return fileno

    # -- holding (sessions, closers) ----------------------------------------------

    @classmethod
    def _engine(cls) -> EventLoopThread:
        """Under ``_lock``: the engine, made if there is none."""
        if cls._current is None:
            cls._current = cls()
        return cls._current

    @classmethod
    def acquire(cls) -> EventLoopThread:
        """The engine (started if none), held until :meth:`release`."""
        helper = None
        with cls._lock:
            engine = cls._engine()
            engine.users += 1
            if engine._helper is None:
                helper = engine._helper = _Helper(engine)
            elif engine.users == 1:
                engine._helper.wake()
        if helper is not None:
            helper.start()
        return engine

    @classmethod
    def acquire_existing(cls) -> Optional[EventLoopThread]:
        """Hold the engine if sessions exist (to drain them, to look at them)."""
        with cls._lock:
            engine = cls._current
            if engine is None or engine.users == 0:
                return None
            engine.users += 1
            return engine

    def release(self, timeout: float = 10.0) -> None:
        """Drop one hold. After the last one the helper lingers (it retires by
        itself, :meth:`_retire`), unless no server is open either: then it is
        stopped (joined unless on it) and the loop closed."""
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            self._idle_since = time.monotonic()
            unused = self._detach_if_unused()
            helper = None
            if unused or not self.pollable:
                helper, self._helper = self._helper, None
        if helper is not None:
            helper.stop(self, timeout)
        elif not unused:
            self._end_helper_run()  # back to ticking, to retire in time
        if unused:
            self._close()

    def _end_helper_run(self) -> None:
        """If the helper runs the loop, make it stop (its loop run ends as on a
        program loop's request, waking nobody)."""
        with self._flags:
            if not self._helper_running or self._handback:
                return
            self._handback = True
        try:
            self.call(self.loop.stop)
        except RuntimeError:  # closed
            pass

    @classmethod
    def add_runner(cls, jobs: ProgramLoopJobs) -> EventLoopThread:
        """A socket map's loop will poll the engine (see :class:`LoopSlot`)."""
        with cls._lock:
            engine = cls._engine()
            engine.runners += 1
            engine.runner_jobs.add(jobs)
            return engine

    def remove_runner(
        self, jobs: ProgramLoopJobs, timeout: float = 10.0, finalizing: bool = False
    ) -> None:
        """A socket map's loop no longer polls us; the last one closes the loop.

        ``finalizing``: called from ``ProgramLoopJobs.__del__``, which the collector
        runs at any allocation on any thread, maybe inside ``threading.enumerate()``
        holding the lock a thread needs to end: nothing here may wait (a join of the
        helper there waited its whole timeout) or run the loop. The helper closes
        the loop on its way out, or it is closed here if that takes no waiting."""
        with self._lock:
            self.runners -= 1
            self.runner_jobs.discard(jobs)
            unused = self._detach_if_unused()
            helper = None
            if unused:
                helper, self._helper = self._helper, None
        if helper is not None:
            helper.closes_loop = finalizing  # (before stop(): it may leave at once)
            helper.stop(self, None if finalizing else timeout)
        if unused and not finalizing:
            self._close()
        elif unused and helper is None:
            self._close_without_waiting()

    def _retire(self, helper: _Helper) -> bool:
        """On the helper: no session for ``LINGER`` seconds: leave (True)."""
        if self.users > 0 or time.monotonic() - self._idle_since < LINGER:
            return False
        with self._lock:
            if self.users > 0 or self._helper is not helper:
                return False
            self._helper = None
            helper.stopping = True
            return True

    def _detach_if_unused(self) -> bool:
        """Under ``_lock``: no server and no session: the next user makes a new one."""
        if self.users > 0 or self.runners > 0 or EventLoopThread._current is not self:
            return False
        EventLoopThread._current = None
        return True

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule ``fn(*args)`` on the loop from any thread."""
        self.loop.call_soon_threadsafe(fn, *args)

    def call_soon_here(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Schedule ``fn(*args)`` from a program's loop thread that runs the loop
        next (:meth:`ProgramLoopJobs.serve`), without the wake-up :meth:`call`
        costs; True if so. False: scheduled as :meth:`call` does (someone else
        runs the loop, or this thread is inside it)."""
        if self.pollable and not self.running_here() and self._take_baton():
            try:
                self.loop.call_soon(fn, *args)
            finally:
                self._drop_baton()
            return True
        self.loop.call_soon_threadsafe(fn, *args)
        return False

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the loop and wait for its result (not from the loop).
        While nobody runs the loop (no program loop polls, no helper), this thread
        runs it, a tick at a time, until the result is there."""
        if self.running_here():
            coro.close()
            raise RuntimeError("smtpd_compat: cannot wait for the event loop inside it")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        deadline = time.monotonic() + timeout
        while True:
            try:
                return future.result(min(TICK, max(0.0, deadline - time.monotonic())))
            except concurrent.futures.TimeoutError:
                if time.monotonic() >= deadline:
                    raise
            if asyncio._get_running_loop() is None and self._take_baton():
                try:
                    stop = self.loop.call_later(TICK, self.loop.stop)
                    self.loop.run_forever()
                    stop.cancel()
                finally:
                    self._drop_baton()

    def call_from(self, jobs: ProgramLoopJobs, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule ``fn(*args)`` from user code. On a program thread serving the
        loop it is kept for :meth:`run_completions`, right after the jobs."""
        if jobs.serving == threading.get_ident():
            jobs.completions.append((fn, args))
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    def run_completions(self, jobs: ProgramLoopJobs, me: int) -> None:
        """On a program thread after its jobs: their completions, here and now
        (no iteration needed), unless someone else runs the loop meanwhile."""
        done, jobs.completions = jobs.completions, []
        if self.loop.is_closed():
            return
        if not self._take_baton():
            for fn, args in done:
                self.loop.call_soon_threadsafe(fn, *args)
            self.request_handback(jobs)
            return
        jobs.iterating = me
        try:
            self.loop.run_callbacks(done)
        finally:
            jobs.iterating = None
            self._drop_baton()

    def running_here(self) -> bool:
        """This thread holds the baton (is inside an iteration of the loop)."""
        return self._baton_owner == threading.get_ident()

    # -- the baton ----------------------------------------------------------------

    def _take_baton(self, timeout: Optional[float] = None) -> bool:
        taken = self.baton.acquire(timeout=timeout) if timeout else self.baton.acquire(False)
        if taken:
            self._baton_owner = threading.get_ident()
        return taken

    def _drop_baton(self) -> None:
        """Release the baton; a close that came while we ran the loop happens now
        (also one asked for as we let go, which found the baton still taken)."""
        if self._close_pending and not self.loop.is_running():
            self._close_pending = False
            self._shut_loop()
        self._baton_owner = None
        self.baton.release()
        if self._close_pending and not self.loop.is_closed() and self._take_baton():
            self._drop_baton()

    def run_once_here(self, jobs: ProgramLoopJobs, me: int) -> bool:
        """On a program's loop thread (``me``): one iteration of the loop, unless
        someone else runs it (then ask for it back). Jobs it queues run after,
        baton free."""
        if self.loop.is_closed() or not self.baton.acquire(False):  # (_take_baton)
            self.request_handback(jobs)
            return False
        self._baton_owner = me
        jobs.iterating = me
        try:
            self.progress += 1
            self.loop.run_once()
        except BaseException:
            jobs.wake()  # jobs queued meanwhile wait for the next loop
            raise
        finally:
            jobs.iterating = None
            self._drop_baton()
        return True

    def comes_round(self, jobs: ProgramLoopJobs) -> bool:
        """A program loop is about to poll: should it poll the loop's descriptor?
        Not while the helper runs the loop; the helper is asked to hand it back
        and wakes this program loop when it has."""
        if asyncio._get_running_loop() is not None or self.loop.is_closed():
            return False  # a thread inside another asyncio loop cannot run ours
        self.progress += 1
        return not (self._helper_running and self.request_handback(jobs))

    def request_handback(self, jobs: ProgramLoopJobs) -> bool:
        """True if the helper runs the loop (it will stop and wake ``jobs``)."""
        with self._flags:
            if not self._helper_running:
                return False
            if jobs not in self._handback_to:
                self._handback_to.append(jobs)
            if self._handback:
                return True
            self._handback = True
        self.call(self.loop.stop)
        return True

    # -- the helper thread ----------------------------------------------------------

    def _helper_main(self, helper: _Helper) -> None:
        block_signals()
        try:
            self._help(helper)
        finally:
            if helper.closes_loop:
                self._close()

    def _help(self, helper: _Helper) -> None:
        if not self.pollable:
            while not helper.stopping:
                self._take_over(helper, timeout=TICK)
            return
        poller = select.poll()
        try:
            poller.register(self.fileno(), select.POLLIN)
        except (ValueError, OSError):  # stopped and the loop closed before it started
            return
        seen = -1
        while helper.tick(self._next_wait(helper)):
            if self.users == 0 and self._retire(helper):
                return
            if self.progress != seen:
                seen = self.progress  # a program loop came round since the last tick
                continue
            if self.baton.locked() or not self._has_work(poller):
                continue
            self._take_over(helper)
            seen = -1

    def _next_wait(self, helper: _Helper) -> float:
        """``TICK`` while sessions exist. With none there is nothing to watch
        (user code runs only for sessions): it waits for the rest of ``LINGER``
        ``LINGER_WAIT`` at a time instead of a tick every 10 ms (about 40 us of
        CPU each on a small VM), and :meth:`acquire` wakes it for the next
        session."""
        if self.users > 0:
            return TICK
        with self._lock:
            if self.users > 0 or self._helper is not helper:
                return TICK
            helper.lingering = True
        return min(LINGER_WAIT, max(TICK, self._idle_since + LINGER - time.monotonic()))

    def _has_work(self, poller: Any) -> bool:
        """Work waits for the loop, or a program loop is stuck in user code (new
        clients are then accepted on the loop: :meth:`_watch_listening_sockets`)."""
        loop = self.loop
        if loop.is_closed():
            return False
        if loop.has_ready_callbacks() or loop.has_due_timer():
            return True
        if any(jobs.running_jobs for jobs in list(self.runner_jobs)):
            return True
        try:
            return bool(poller.poll(0))
        except OSError:
            return False

    def _watch_listening_sockets(self) -> None:
        """With the baton, off the program threads: the servers of maps whose
        loop runs user code accept on the event loop meanwhile."""
        for jobs in list(self.runner_jobs):
            if jobs.running_jobs:
                for watch in list(jobs.watch_hooks):
                    watch(self)

    def _unwatch_listening_sockets(self) -> None:
        """With the baton: accepting is the program loops' again."""
        for server in list(self.watching):
            server._unwatch_listening_socket(self)

    def _helper_needed(self) -> bool:
        """Whether the helper's run of the loop has a reason to go on: a session
        exists, or a program loop runs user code (its clients are accepted on the
        loop meanwhile). Without a descriptor to poll (Windows) it always runs it.
        Without either, no program loop may come round to ask for the loop back,
        and a run that went on would keep the helper (and a thread) for good."""
        if not self.pollable or self.users > 0:
            return True
        return any(jobs.running_jobs for jobs in list(self.runner_jobs))

    def _stop_unneeded_run(self) -> None:
        """On the helper's run, every ``LINGER_WAIT`` seconds: end it once it is not
        needed (a program loop that ended in user code never asks for it back)."""
        if self._helper_needed():
            self._needed_check = self.loop.call_later(LINGER_WAIT, self._stop_unneeded_run)
        else:
            self.loop.stop()

    def _take_over(self, helper: _Helper, timeout: Optional[float] = None) -> None:
        """Run the loop until a program loop asks for it back (or we stop)."""
        if not self._take_baton(timeout):
            return
        with self._flags:
            self._helper_running = True
            self._handback = False
        # Asked only now: a last session that ended before the flag was set found
        # no run to end (release() -> _end_helper_run), so this must see it.
        try:
            if not self.loop.is_closed():
                self._watch_listening_sockets()
                self._needed_check = self.loop.call_later(LINGER_WAIT, self._stop_unneeded_run)
            while (
                not helper.stopping
                and not self._handback
                and not self.loop.is_closed()
                and self._helper_needed()
            ):
                try:
                    self.loop.run_forever()
                except Exception:  # a bug of ours; the loop must go on serving
                    logging.getLogger("smtpd_compat").exception("event loop error")
        finally:
            if self._needed_check is not None:
                self._needed_check.cancel()
                self._needed_check = None
            if not self.loop.is_closed():
                self._unwatch_listening_sockets()
            with self._flags:
                self._helper_running = False
                self._handback = False
                waiting, self._handback_to = self._handback_to, []
            self._drop_baton()
        for jobs in waiting:
            jobs.wake()

    # -- the end --------------------------------------------------------------------

    def _close(self) -> None:
        """No server and no session left: close the loop (its descriptors too)."""
        if self.running_here():
            self._close_pending = True  # after this iteration (:meth:`_drop_baton`)
            return
        if asyncio._get_running_loop() is not None:  # inside someone's asyncio loop
            closer = threading.Thread(target=self._close, name="smtpd_compat-close")
            closer.start()
            closer.join(10)
            return
        if not self._take_baton(timeout=10):
            return
        try:
            self._shut_loop()
        finally:
            self._baton_owner = None
            self.baton.release()

    def _close_without_waiting(self) -> None:
        """From a finaliser, no helper left: close the loop if that needs neither
        the baton nor a run (no task left). Otherwise whoever holds the baton
        closes it as it lets go (:meth:`_drop_baton`); a task left with nobody
        holding it keeps the loop open until the engine is collected."""
        self._close_pending = True
        if self.running_here() or not self._take_baton():
            return
        try:
            if not self.loop.is_closed() and not asyncio.all_tasks(self.loop):
                self._close_pending = False
                self.loop.close()
        finally:
            self._baton_owner = None
            self.baton.release()

    def _shut_loop(self) -> None:
        """With the baton, outside an iteration: cancel what is left, close.

        Within ``SHUTDOWN_WAIT`` seconds: a task that does not finish once
        cancelled must not hold up the close() (or the interpreter's exit) that
        got here; it is logged and dropped with the loop."""
        loop = self.loop
        if loop.is_closed():
            return
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            done, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=SHUTDOWN_WAIT))
            for task in done:  # retrieved, as gather(return_exceptions=True) did
                if not task.cancelled():
                    task.exception()
            if stuck:
                logging.getLogger("smtpd_compat").warning(
                    "event loop closed with %d task(s) that ignored cancellation", len(stuck)
                )
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class ProgramLoopJobs:
    """Runs jobs on the thread that runs the program's loop over one socket map.

    To that loop it is one more dispatcher: readable, woken through a socket pair
    when jobs arrive, running them in ``handle_read_event`` one after another. An
    ``ExitNow``, ``KeyboardInterrupt`` or ``SystemExit`` from a job leaves the
    program's loop from there, as it did from a legacy hook; jobs still queued wait
    for the next loop. One instance per map, shared by the servers in it."""

    _registry: Dict[int, ProgramLoopJobs] = {}
    _registry_lock = threading.Lock()

    def __init__(self, socket_map: Dict[int, Any]) -> None:
        self._map = socket_map
        self._jobs: Deque[Job] = collections.deque()
        self._signal_lock = threading.Lock()
        self._signalled = False
        self._pending_exit: Optional[BaseException] = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._fd = self._reader.fileno()
        self._retired: List[int] = []  # fds of sockets retired while a loop may poll
        self._closing = False
        self._closed = False
        self.users = 0
        self.loop_thread: Optional[threading.Thread] = None  # last thread that ran us
        self.running_jobs = False
        #: Called when the program's loop starts running user code while the
        #: helper runs the event loop (servers then accept there, see
        #: ``SMTPServer._accept_while_busy``).
        self.busy_hooks: List[Callable[[], None]] = []
        #: Called by the helper, with the baton, when it takes the loop over while
        #: this map's loop runs user code (``SMTPServer._watch_listening_socket``).
        self.watch_hooks: List[Callable[[EventLoopThread], None]] = []
        #: The thread (ident) inside an iteration of the engine's loop for us:
        #: jobs it queues run right after the iteration, so they need no wake-up.
        self.iterating: Optional[int] = None
        #: The thread (ident) in :meth:`serve`: it runs the completions of its jobs.
        self.serving: Optional[int] = None
        self._loop_ident: Optional[int] = None  # loop_thread's, to note it cheaply
        self.completions: List[Tuple[Callable[..., Any], Tuple[Any, ...]]] = []
        socket_map[self._fd] = self
        self.engine = EventLoopThread.add_runner(self)
        self._slot_fd: Optional[int] = None
        if self.engine.pollable:
            self._slot_fd = self.engine.fileno()
            socket_map[self._slot_fd] = LoopSlot(self)

    @classmethod
    def for_map(cls, socket_map: Dict[int, Any]) -> ProgramLoopJobs:
        """The map's job runner, created with its first server."""
        with cls._registry_lock:
            jobs = cls._registry.get(id(socket_map))
            if jobs is None or jobs._map is not socket_map:
                jobs = cls._registry[id(socket_map)] = cls(socket_map)
            jobs.users += 1
            return jobs

    def release(self) -> None:
        """A server left the map; the last one takes the runner out of it."""
        with self._registry_lock:
            self.users -= 1
            if self.users > 0:
                return
            if self._registry.get(id(self._map)) is self:
                del self._registry[id(self._map)]
        self.close()

    # -- submitting (any thread) -----------------------------------------------

    def submit(self, job: Job) -> None:
        self._jobs.append(job)
        if self.iterating != threading.get_ident():
            self.wake()

    def wake(self) -> None:
        """Make the program's loop come round (at most one byte in flight)."""
        with self._signal_lock:
            if self._signalled:
                return
            self._signalled = True
        try:
            self._writer.send(b"x")
        except OSError:  # full (a byte is there already) or closed
            pass

    def exit_loop(self, exc: BaseException) -> None:
        """End the program's loop with ``exc`` (user code raised it elsewhere)."""
        self._pending_exit = exc
        self.wake()

    def on_current_thread(self) -> bool:
        """True on the thread that runs (or last ran) the program's loop over the map."""
        return self.loop_thread is threading.current_thread()

    def no_loop_can_be_polling(self) -> bool:
        """No loop has polled the map yet, or its thread is this one, or gone.

        (A loop that took its snapshot of the map but has not polled yet is the
        race legacy had too: closing a dispatcher from another thread then.)"""
        thread = self.loop_thread
        return thread is None or thread is threading.current_thread() or not thread.is_alive()

    def cancel_unstarted(self, owner: Callable[[Job], bool]) -> List[Job]:
        """Cancel the queued jobs ``owner`` claims; they never run."""
        cancelled = [job for job in list(self._jobs) if not job.started and owner(job)]
        for job in cancelled:
            job.cancelled = True
        return cancelled

    # -- the asyncore face (the program's loop thread) --------------------------

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        if threading.get_ident() != self._loop_ident:  # once per loop thread
            self._note_loop_thread()
        return True

    def _note_loop_thread(self) -> None:
        self.loop_thread = threading.current_thread()
        self._loop_ident = threading.get_ident()

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        """Drain the wake-up bytes, then re-arm ``wake``, then run the queue.

        In that order: a ``wake`` between the drain and the re-arm sends nothing,
        and its job is already queued for the run below; re-arming first let such a
        wake's byte be drained with the flag left set, and every later ``wake`` was
        then silent: the queue stalled and ``close()`` never ended the loop."""
        if threading.get_ident() != self._loop_ident:
            self._note_loop_thread()
        try:
            self._reader.recv(4096)
        except OSError:
            pass
        with self._signal_lock:
            self._signalled = False
        self._close_retired()
        if self._closing:
            self._close_now()
            return
        self.serve()

    def coming_round(self) -> bool:
        """The program's loop is about to poll (:meth:`LoopSlot.readable`; our
        own ``readable()`` noted its thread)."""
        return not self._closed and self.engine.comes_round(self)

    def serve(self) -> None:
        """Run the engine's loop here, then the jobs it queued, while it has work."""
        me = threading.get_ident()
        if me != self._loop_ident:
            self._note_loop_thread()
        engine = self.engine
        if self._slot_fd is None or self._closed:
            self.run_jobs()
            return
        loop = engine.loop
        self.serving = me
        try:
            for _ in range(SERVE_ROUNDS):
                ran_loop = engine.run_once_here(self, me)
                ran_jobs = bool(self._jobs or self._pending_exit) and self.run_jobs()
                if self.completions:
                    engine.run_completions(self, me)
                if not (ran_loop or ran_jobs) or loop.is_closed():
                    return
                if not self._jobs and not loop.has_ready_callbacks():
                    return
        finally:
            self.serving = None
            if self.completions:  # a job ended the program's loop: they run elsewhere
                done, self.completions = self.completions, []
                for fn, args in done:
                    engine.call(fn, *args)
        self.wake()  # more to do: come round again after the program's other sockets

    def run_jobs(self) -> bool:
        """Run what is queued; a loop-ending error leaves the loop from here.
        True if any job was there."""
        self.running_jobs = True
        ran = bool(self._jobs)
        if ran and self.engine._helper_running:  # it took over before we got here
            for hook in list(self.busy_hooks):
                hook()
        try:
            while self._jobs:
                error = self._jobs.popleft().run()
                if error is not None:
                    raise error
        finally:
            self.running_jobs = False
        exc, self._pending_exit = self._pending_exit, None
        if exc is not None:
            raise exc
        return ran

    def handle_write_event(self) -> None:
        pass

    def handle_expt_event(self) -> None:
        pass

    def handle_error(self) -> None:
        raise  # asyncore calls this inside ``except``: let the loop end with it

    def handle_close(self) -> None:
        self.close()

    def close(self) -> None:
        """Leave the map (the program's loop then returns if nothing else is in it).

        Off the program's thread its loop may be about to select() on our fds, and
        a closed fd there is EBADF: we stay in the map, wake the loop, and close on
        its thread (or when collected, if the map was cleared meanwhile)."""
        for job in self._jobs:
            job.cancelled = True
        self._closing = True
        if self.no_loop_can_be_polling():
            self._close_now()
        else:
            self.wake()

    def retire(self, resource: Any) -> None:
        """Close ``resource`` (a socket the program's loop may be polling) safely:
        now, or as a bare fd on the loop's thread (or when this runner is
        collected: a map cleared by ``asyncore.close_all()`` is never serviced)."""
        detach = getattr(resource, "detach", None)
        if self.no_loop_can_be_polling() or self._closed or detach is None:
            resource.close()
            return
        self._retired.append(detach())
        self.wake()

    def _close_retired(self) -> None:
        while self._retired:
            try:
                os.close(self._retired.pop())
            except (OSError, IndexError):
                pass

    def _close_now(self, finalizing: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_retired()
        if self._map.get(self._fd) is self:
            del self._map[self._fd]
        slot = self._map.get(self._slot_fd) if self._slot_fd is not None else None
        if getattr(slot, "jobs", None) is self:
            del self._map[self._slot_fd]
        self._reader.close()
        self._writer.close()
        engine = getattr(self, "engine", None)  # None if __init__ failed before it
        if engine is not None:
            engine.remove_runner(self, finalizing=finalizing)

    def __del__(self) -> None:
        self._close_now(finalizing=True)
        self._close_retired()


class LoopSlot:
    """The engine's selector descriptor in a program's socket map.

    When the program's loop finds it readable, that loop's thread runs one
    iteration of the engine's loop and then the user code it queued
    (:meth:`ProgramLoopJobs.serve`); ``readable()`` tells the engine the program
    loop came round. No reference back from the jobs: a map cleared by
    ``asyncore.close_all()`` frees both without the cycle collector."""

    def __init__(self, jobs: ProgramLoopJobs) -> None:
        self.jobs = jobs

    def fileno(self) -> int:
        return self.jobs.engine.fileno()

    def readable(self) -> bool:
        jobs = self.jobs  # (ProgramLoopJobs.coming_round, one call less per poll)
        return not jobs._closed and jobs.engine.comes_round(jobs)

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        self.jobs.serve()

    def handle_write_event(self) -> None:
        pass

    def handle_expt_event(self) -> None:
        pass

    def handle_error(self) -> None:
        raise  # asyncore calls this inside ``except``: let the loop end with it

    def handle_close(self) -> None:
        self.jobs.close()

    def close(self) -> None:
        self.jobs.close()


class WorkerPool:
    """``concurrency=N``: the threads user code of one server runs on.

    A queue and plain threads instead of ``ThreadPoolExecutor``: handing over a
    message costs one queue put, and shutdown joins against one deadline."""

    def __init__(self, size: int, name: str) -> None:
        self._queue: queue.SimpleQueue[Optional[Job]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name="%s_%d" % (name, i), daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def _work(self) -> None:
        block_signals()
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.run()

    def owns_current_thread(self) -> bool:
        return threading.current_thread() in self._threads

    def shutdown(self, timeout: float) -> None:
        """Stop the threads once queued work is done or cancelled; one deadline."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
