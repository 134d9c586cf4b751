"""Rule thread: (SMTPServer, Thread) classes and polling loops drive a Controller."""

from __future__ import annotations

import pytest
from before_after import check_noop, check_transformed, dedent, run  # noqa: E402

from smtpd_compat.codemod._threads import counted_passes

FIXTURE = """\
import asyncore
import smtpd
import threading


class Fixture(smtpd.SMTPServer, threading.Thread):
    def __init__(self, localaddr):
        {init}
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.messages = []
        self.active = threading.Event()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.messages.append(data)
{methods}
    def run(self):
        {run}

    def stop(self):
        {stop}


server = Fixture(("127.0.0.1", 0))
port = server.socket.getsockname()[1]
{use}
"""
RUN = """\
self.active.set()
while self.active.is_set():
    asyncore.loop(timeout=0.1, count=1)"""
STOP = """\
self.active.clear()
self.close()
self.join(5)"""


def body(code: str) -> str:
    return code.replace("\n", "\n        ")


def method(code: str) -> str:
    return "\n" + "".join(f"    {line}\n" for line in code.splitlines())


def fixture(init="threading.Thread.__init__(self)", methods="", run=RUN, stop=STOP, use=""):
    return FIXTURE.format(
        init=body(init),
        methods=methods and method(methods),
        run=body(run),
        stop=body(stop),
        use=use,
    )


def test_thread_class_becomes_a_handler_with_a_controller():
    outcome = run(fixture(use="server.start()\nserver.stop()"))
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "class Fixture:\n" in source and "asyncore" not in source
    assert (
        """
    def __init__(self, localaddr):
        self._localaddr = localaddr
        self._remoteaddr = None
        self.controller = BoundController(self, self._localaddr, enable_SMTPUTF8=False)
        self.socket = self.controller.socket  # bound, as smtpd.SMTPServer's was
        self.messages = []
        self.active = threading.Event()
"""
        in source
    )
    assert (
        """
    def start(self):
        self.active.set()
        self.controller.start()

    def stop(self):
        self.active.clear()
        self.controller.stop()


server = Fixture(("127.0.0.1", 0))
port = server.socket.getsockname()[1]
server.start()
server.stop()
"""
        in source
    )
    assert run(source).source == source  # idempotent


def test_django_start_override_waits_for_the_flag():
    methods = """\
def start(self):
    self.__flag = threading.Event()
    threading.Thread.start(self)
    self.__flag.wait()"""
    run_ = """\
self.active = True
self.__flag.set()
while self.active and asyncore.socket_map:
    with self.lock:
        asyncore.loop(timeout=0.1, count=1)
asyncore.close_all()"""
    stop = """\
if self.active:
    self.active = False
    self.join()"""
    init = "threading.Thread.__init__(self, name='smtp')\nself.lock = threading.Lock()"
    outcome = run(fixture(init=init, methods=methods, run=run_, stop=stop))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        """
    def start(self):
        self.__flag = threading.Event()
        self.active = True
        self.__flag.set()
        self.controller.start()
        self.__flag.wait()

    def stop(self):
        if self.active:
            self.active = False
            self.controller.stop()
"""
        in outcome.source
    )
    assert "def run" not in outcome.source


def test_polling_loop_starts_the_controller_and_polls_the_flag():
    source = """
        import asyncore
        import smtpd

        running = True


        class Sink(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink(("127.0.0.1", 2525), None)
        while running:
            asyncore.loop(0.5, True, None, 1)
        server.close()
    """
    after = check_transformed(source, run(source).source)
    assert after == []
    outcome = run(source).source
    assert "import time\n" not in outcome and "asyncore" not in outcome
    assert outcome.endswith(
        """
server = Sink()
server_controller = LongLinesController(
    server, hostname="127.0.0.1", port=2525, enable_SMTPUTF8=False
)
PROCESS_MESSAGE_EXECUTOR.start_polling()
server_controller.start()
while running:
    PROCESS_MESSAGE_EXECUTOR.serve_once(0.5)  # runs process_message here
server_controller.stop()
"""
    )


# -- guards --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"init": "pass"}, "does not call threading.Thread.__init__(self) once"),
        ({"init": "threading.Thread.__init__(self, daemon=True)"}, "other than name="),
        ({"run": "asyncore.loop(count=3)"}, "run() is not one polling loop"),
        (
            {"run": "while self.active.is_set():\n    asyncore.loop(timeout=1, count=5)"},
            "run() is not `while <flag>: asyncore.loop(",
        ),
        (
            {"run": "asyncore.socket_map.clear()\n" + RUN},
            "run() does more than set its flag",
        ),
        ({"stop": "self.active.clear()\nself.close()"}, "does not join the thread once"),
        ({"stop": "self.close()\nself.join(5)"}, "does not change self.active before"),
        ({"stop": "self.active.clear()\nself.join(5)"}, "the server is never closed"),
        (
            {"methods": "def start(self):\n    super().run()"},
            "start() does not call threading.Thread.start(self) once",
        ),
        (
            {"methods": "def serving(self):\n    return self.active.is_set()"},
            "serving() uses the loop's flag self.active",
        ),
        (
            {"methods": "def alive(self):\n    return self.is_alive()"},
            "uses the thread's is_alive: the converted class is no threading.Thread",
        ),
        (
            {"methods": "def attach(self, c):\n    self.controller = c"},
            "it has a self.controller of its own",
        ),
        ({"use": "server.start()\nserver.join(1)"}, "server.join is the thread's"),
    ],
)
def test_noop_thread_class(change, reason):
    reports = check_noop(fixture(**change))
    assert any(reason in r for r in reports), reports


def test_noop_thread_reasons_are_reported_at_their_method():
    source = fixture(stop="self.active.clear()\nself.close()")
    reports = check_noop(source)
    stop_line = dedent(source).splitlines().index("    def stop(self):") + 1
    assert any(
        r.startswith(f"t.py:{stop_line}: class Fixture is also a threading.Thread")
        and "does not join the thread once" in r
        for r in reports
    ), reports


def test_noop_lock_used_elsewhere():
    run_ = RUN.replace(
        "asyncore.loop(timeout=0.1, count=1)",
        "with self.lock:\n        asyncore.loop(timeout=0.1, count=1)",
    )
    methods = "def pause(self):\n    self.lock.acquire()"
    init = "threading.Thread.__init__(self)\nself.lock = threading.Lock()"
    reports = check_noop(fixture(init=init, run=run_, methods=methods))
    assert any("the loop's lock self.lock is used elsewhere" in r for r in reports), reports


def test_noop_close_all_with_other_servers():
    source = fixture(
        use="other = Fixture(('127.0.0.1', 0))\n"
        "sink = smtpd.DebuggingServer(('127.0.0.1', 0), None)"
    ).replace("self.close()", "asyncore.close_all()")
    reports = check_noop(source + "asyncore.loop()\n")
    assert any("closed the other servers too" in r for r in reports), reports


SHARED_MAP_POLL = """
    import asyncore
    import smtpd
    from asyncore import socket_map


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    while {test}:
        asyncore.loop(timeout=1, count=1)
    server.close()
"""


WORKING_POLL = """
    import asyncore
    import smtpd
    import time


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    try:
        while True:
            poll_bot()
            asyncore.loop(timeout=1, count=1)
    except KeyboardInterrupt:
        print("stopped")
"""


def test_a_polling_loop_doing_other_work_keeps_it_and_waits_in_the_loops_place():
    """``poll_bot()`` beside the poll stays; the poll's line waits its timeout (noted), and
    a ``while True`` loop that only an exception ends needs no close (noted)."""
    outcome = run(WORKING_POLL)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    server_controller.start()\n"
        "    while True:\n"
        "        poll_bot()\n"
        "        PROCESS_MESSAGE_EXECUTOR.serve_once(1)  # runs process_message here\n"
    ) in outcome.source
    notes = " ".join(r.message for r in outcome.reports if r.note)
    assert "the polling loop's other statements now run after each pass that ran" in notes
    assert "when an exception (Ctrl+C) ends this `while True` polling loop" in notes


def test_noop_a_polling_loop_doing_legacy_work_beside_the_poll():
    source = WORKING_POLL.replace("poll_bot()", "asyncore.poll(0.1)")
    assert check_noop(source) != []


def test_a_polling_loop_with_a_break_and_no_close_stops_the_controller_after_it():
    """smtpd stopped serving when the loop ended: the controller is stopped there, and the
    note says its socket now closes (smtpd's stayed bound, unanswered)."""
    source = WORKING_POLL.replace("poll_bot()", "if poll_bot():\n                break")
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        PROCESS_MESSAGE_EXECUTOR.serve_once(1)  # runs process_message here\n"
        "    server_controller.stop()\n"
        "except KeyboardInterrupt:\n"
    ) in outcome.source
    notes = " ".join(r.message for r in outcome.reports if r.note)
    assert "nothing closes a server this polling loop served" in notes


@pytest.mark.parametrize(
    "test, after",
    [
        ("asyncore.socket_map", "not server_controller.stopped.is_set()"),
        ("socket_map and RUNNING", "not server_controller.stopped.is_set() and RUNNING"),
        ("len(asyncore.socket_map) > 0", "not server_controller.stopped.is_set()"),
        ("len(socket_map) and RUNNING", "not server_controller.stopped.is_set() and RUNNING"),
    ],
)
def test_polling_while_asyncores_map_holds_the_server(test, after):
    outcome = run(SHARED_MAP_POLL.format(test=test))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        f"server_controller.start()\nwhile {after}:\n"
        "    PROCESS_MESSAGE_EXECUTOR.serve_once(1)  # runs process_message here\n"
        "server_controller.stop()\n"
    ) in outcome.source
    assert "BoundController(server, " in outcome.source  # its stopped event


@pytest.mark.parametrize("test", ["len(asyncore.socket_map) > 1", "RUNNING or socket_map"])
def test_noop_polling_loop_condition_reads_legacy_state(test):
    reports = check_noop(SHARED_MAP_POLL.format(test=test))
    assert any("the polling loop's condition reads legacy state" in r for r in reports), reports


def test_thread_base_imported_by_name_is_recognised():
    source = """
        import asyncore
        import smtpd
        from threading import Thread


        class FakeSMTPServer(smtpd.SMTPServer, Thread):
            def __init__(self, localaddr):
                Thread.__init__(self)
                smtpd.SMTPServer.__init__(self, localaddr, None)
                self.active = False

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass

            def run(self):
                self.active = True
                while self.active:
                    asyncore.loop(timeout=0.1, count=1)
                self.close()

            def stop(self):
                self.active = False
                self.join(5)


        server = FakeSMTPServer(("127.0.0.1", 0))
        server.start()
        server.stop()
    """
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "class FakeSMTPServer:\n" in outcome.source
    assert "Thread.__init__" not in outcome.source and "asyncore" not in outcome.source


FORWARDING = """\
import asyncore
import smtpd
import threading


class Fixture(smtpd.SMTPServer, threading.Thread):
    def __init__(self, *args, **kwargs):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.active = False

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass

    def run(self):
        self.active = True
        while self.active:
            asyncore.loop(timeout=0.1, count=1)
        asyncore.close_all()

    def stop(self):
        self.active = False
        self.join(5)


{instances}
"""


def test_forwarded_arguments_are_read_at_the_instance():
    outcome = run(
        FORWARDING.format(instances='server = Fixture(("127.0.0.1", 0), None, decode_data=True)')
    )
    assert [r for r in outcome.reports if not r.note] == []
    init = outcome.source.split("def __init__(self, *args, **kwargs):\n")[1].split("\n\n")[0]
    assert init == (
        "        smtpd_server_attributes(self, *args, **kwargs)\n"
        "        self.controller = BoundController(\n"
        "            self,\n"
        "            self._localaddr,\n"
        "            data_size_limit=self.data_size_limit,\n"
        "            enable_SMTPUTF8=self.enable_SMTPUTF8,\n"
        "        )\n"
        "        self.socket = self.controller.socket  # bound, as smtpd.SMTPServer's was\n"
        "        self.active = False"
    )
    assert 'data = data.decode("utf-8")' in outcome.source  # decode_data=True at the instance


@pytest.mark.parametrize(
    "instances",
    [
        'server = Fixture(("127.0.0.1", 0), None, decode_data=flag)',
        'server = Fixture(("127.0.0.1", 0), None, map={})',
        'one = Fixture(("127.0.0.1", 0), None)\n'
        'two = Fixture(("127.0.0.1", 0), None, decode_data=True)',
        "server = Fixture(*address)",
    ],
)
def test_noop_forwarded_arguments_that_cannot_be_read(instances):
    reports = check_noop(FORWARDING.format(instances=instances))
    assert any("the arguments of Fixture(...) cannot be read statically" in r for r in reports)


BLOCKING_RUN = "self.active.set()\nasyncore.loop(timeout=0.1)"
CLOSE_THEN_JOIN = "self.close()\nself.join(5)"


def test_blocking_run_closed_by_stop_becomes_a_controller():
    init = "threading.Thread.__init__(self)\nself.daemon = True"
    outcome = run(fixture(init=init, run=BLOCKING_RUN, stop=CLOSE_THEN_JOIN))
    assert [r for r in outcome.reports if not r.note] == []
    assert "    def start(self):\n        self.active.set()\n        self.controller.start()\n" in (
        outcome.source
    )
    assert "    def stop(self):\n        self.controller.stop()\n" in outcome.source
    assert "daemon" not in outcome.source and "asyncore" not in outcome.source


@pytest.mark.parametrize("count", ["count=100000", "False, None, 5000"])
def test_blocking_run_with_a_long_count_is_noted(count):
    init = "threading.Thread.__init__(self)\nself.daemon = True"
    blocking = f"self.active.set()\nasyncore.loop(0.1, {count})"
    outcome = run(fixture(init=init, run=blocking, stop=CLOSE_THEN_JOIN))
    assert [r for r in outcome.reports if not r.note] == []
    assert "asyncore" not in outcome.source
    passes = count.split("=")[-1].split(", ")[-1]
    assert any(r.message == counted_passes(passes) for r in outcome.reports)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"stop": "self.join(5)\nself.close()"}, "does not close the server before it joins"),
        ({"run": "asyncore.loop(timeout=0.1)\nprint('done')"}, "does more than close the server"),
        ({"run": "print(asyncore.socket_map)\nasyncore.loop()"}, "does more than set its state"),
        ({"run": "asyncore.loop(timeout=0.1, count=5)"}, "is not one polling loop"),
        ({"init": "threading.Thread.__init__(self)\nself.daemon = flag"}, "the thread's daemon"),
    ],
)
def test_noop_blocking_run(change, reason):
    shape = {"run": BLOCKING_RUN, "stop": CLOSE_THEN_JOIN, **change}
    reports = check_noop(fixture(**shape))
    assert any(reason in r for r in reports), reports


def test_the_method_joining_the_thread_stops_it_whatever_its_name():
    source = fixture(run=BLOCKING_RUN, stop=CLOSE_THEN_JOIN).replace(
        "def stop(self):", "def shutdown(self):"
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "    def shutdown(self):\n        self.controller.stop()\n" in outcome.source


def test_noop_two_methods_joining_the_thread():
    methods = "def halt(self):\n    self.close()\n    self.join(1)"
    source = fixture(run=BLOCKING_RUN, stop=CLOSE_THEN_JOIN, methods=methods).replace(
        "def stop(self):", "def shutdown(self):"
    )
    reports = check_noop(source)
    assert any("it has no stop() method" in r for r in reports), reports


@pytest.mark.parametrize(
    "test", ["asyncore.socket_map", "len(socket_map)", "len(asyncore.socket_map) != 0"]
)
def test_blocking_loop_draining_the_map_converts_as_a_poll(test):
    """No count=: each loop call returned once the map emptied, so the while ended then."""
    source = SHARED_MAP_POLL.format(test=test).replace(
        "asyncore.loop(timeout=1, count=1)", "asyncore.loop(timeout=1, use_poll=True)"
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "server_controller.start()\nwhile not server_controller.stopped.is_set():\n"
        "    PROCESS_MESSAGE_EXECUTOR.serve_once(1)  # runs process_message here\n"
    ) in outcome.source


def test_blocking_loop_under_a_condition_besides_the_map_is_reported():
    """``while RUNNING and socket_map: asyncore.loop()``: the inner loop ignored RUNNING,
    so it is no poll: the map the condition reads is reported at the loop."""
    source = SHARED_MAP_POLL.format(test="RUNNING and socket_map").replace(
        "asyncore.loop(timeout=1, count=1)", "asyncore.loop(timeout=1)"
    )
    outcome = run(source)
    blockers = [r.format("t.py") for r in outcome.reports if not r.note]
    assert any("socket_map is still used here" in r for r in blockers), blockers


SELF_STARTING = """\
import asyncore
import smtpd
import threading


class MockSMTPServer(smtpd.SMTPServer, threading.Thread):
    def __init__(self, hostname, port):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, (hostname, port), None)
        self.daemon = True
        self.received = []
        self.start()

    def run(self):
        asyncore.loop()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.received.append(data)


mock = MockSMTPServer("127.0.0.1", 0)
print(mock.socket.getsockname()[1])
mock.close()
"""


def test_a_self_starting_blocking_thread_closed_by_close_becomes_a_controller():
    """The public MockSMTPServer/FakeSMTPServer shape: no stop(); run() is one blocking
    loop that the server's own close() ended. The class gets a close() stopping its
    controller, so every close() call, here or in the tests, still ends the serving."""
    outcome = run(SELF_STARTING)
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "class MockSMTPServer:\n" in source and "def run" not in source
    assert "    def start(self):\n        self.controller.start()\n" in source
    assert (
        "\n\n    def close(self):\n"
        "        # smtpd.SMTPServer's close() ended the loop this class's thread ran: "
        "stop the controller\n"
        "        self.controller.stop()\n"
    ) in source
    assert "self.daemon" not in source and "threading.Thread" not in source
    assert source.endswith("mock.close()\n")


@pytest.mark.parametrize(
    "change, reason",
    [
        (
            "    def run(self):\n        asyncore.loop()\n",
            "    def run(self):\n        while True:\n"
            "            asyncore.loop(timeout=1, count=1)\n",
        ),
        ("    def run(self):\n", "    def close(self):\n        pass\n\n    def run(self):\n"),
    ],
)
def test_noop_no_stop_unless_close_ends_a_blocking_loop(change, reason):
    """A polling run() is not ended by close(); an own close() is not smtpd's."""
    reports = check_noop(SELF_STARTING.replace(change, reason))
    assert any("it has no stop() method" in r for r in reports), reports
