"""Rule startup: Server(...) plus asyncore.loop() becomes a Controller."""

from __future__ import annotations

import smtplib
import textwrap
import threading

import pytest
from before_after import check_noop, run  # noqa: E402

from smtpd_compat.codemod._threads import counted_passes
from smtpd_compat.codemod.rules.startup import CLEARED_MAP

CLASS = """
    import asyncore
    import smtpd
    import threading


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


"""


def tail(source: str) -> str:
    return run(CLASS + source).source.split('return reply or "250 OK"')[1]


def test_keyboard_interrupt_and_close():
    after = tail("""
    server = Sink(("127.0.0.1", 2525), None, enable_SMTPUTF8=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        server.close()
    """)
    assert after.endswith("""
server = Sink()
server_controller = LongLinesController(
    server, hostname="127.0.0.1", port=2525, enable_SMTPUTF8=True
)
try:
    server_controller.start()
    # serves until interrupted, running process_message here as smtpd's loop did
    PROCESS_MESSAGE_EXECUTOR.serve()
except KeyboardInterrupt:
    server_controller.stop()
""")


def test_port_zero_and_socket_use_bind_at_once():
    after = tail("""
    server = Sink(("127.0.0.1", 0), None)
    print(server.socket.getsockname())
    asyncore.loop()
    asyncore.close_all()
    """)
    assert after.endswith("""
server = Sink()
server_controller = BoundController(server, ("127.0.0.1", 0), enable_SMTPUTF8=False)
print(server_controller.socket.getsockname())
server_controller.start()
# serves until interrupted, running process_message here as smtpd's loop did
PROCESS_MESSAGE_EXECUTOR.serve()
server_controller.stop()
""")


def test_thread_fixture_with_attribute_target():
    source = (
        CLASS
        + """
    class Fixture:
        def setUp(self):
            self.smtp = Sink(("127.0.0.1", 0), None)
            self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
            self.thread.start()

        def tearDown(self):
            self.smtp.close()
            self.thread.join(5)
    """
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    thread = (
        "self.thread = threading.Thread(target=serve_until_stopped, args=(self.smtp_controller,))"
    )
    assert thread in outcome.source
    assert "self.smtp_controller.stop()" in outcome.source
    assert "asyncore" not in outcome.source and "import smtpd" not in outcome.source


@pytest.mark.parametrize(
    "submitted", ["asyncore.loop, 1", "asyncore.loop, timeout=1", "lambda: asyncore.loop(1)"]
)
def test_a_loop_submitted_to_an_executor_serves_on_its_worker(submitted):
    source = (
        CLASS
        + f"""
    class Fixture:
        def setUp(self):
            self.smtp = Sink(("127.0.0.1", 0), None)
            self.pool = concurrent.futures.ThreadPoolExecutor(1)
            self.pool.submit({submitted})

        def tearDown(self):
            asyncore.close_all()
    """
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "self.pool.submit(serve_until_stopped, self.smtp_controller)" in outcome.source
    assert "self.smtp_controller.stop()" in outcome.source
    assert "asyncore" not in outcome.source and "import smtpd" not in outcome.source


def test_noop_a_loop_submitted_with_a_short_count_says_so_by_its_form():
    reports = check_noop(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    pool.submit(asyncore.loop, 1, False, None, 5)
    """
    )
    assert any("the loop thread is given count=5" in r for r in reports), reports


# -- guards --------------------------------------------------------------------


def test_a_while_true_polling_loop_needs_no_close_and_is_noted():
    """Only an exception ends it: the program ends with it, so nothing closes the server;
    the note says the controller would serve on if the program went on after it."""
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    while True:
        asyncore.loop(timeout=1, count=1)
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "while True:\n    PROCESS_MESSAGE_EXECUTOR.serve_once(1)" in outcome.source
    assert any("ends this `while True` polling loop" in r.message for r in outcome.reports)


def test_polling_loop_with_a_break_never_closed_stops_after_it():
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    while True:
        asyncore.loop(timeout=1, count=1)
        if done():
            break
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert outcome.source.endswith("        break\nserver_controller.stop()\n")
    notes = " ".join(r.message for r in outcome.reports if r.note)
    assert "nothing closes a server this polling loop served" in notes


def test_noop_private_map():
    reports = check_noop(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None, map={})
    asyncore.loop()
    """
    )
    assert any("map=" in r for r in reports)


def test_noop_loop_in_another_block():
    reports = check_noop(
        CLASS
        + """
    def serve():
        asyncore.loop()


    serve()  # before the server exists: smtpd's loop returned at once
    server = Sink(("127.0.0.1", 0), None)
    """
    )
    assert any("does not follow the creation of a server in the same block" in r for r in reports)
    assert any("server is served by an asyncore.loop() outside the block" in r for r in reports)


def test_noop_without_loop():
    reports = check_noop(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    """
    )
    assert any("no asyncore.loop() in this module serves this server" in r for r in reports)


def test_noop_server_used_in_expression():
    reports = check_noop(
        CLASS
        + """
    servers = [Sink(("127.0.0.1", 0), None)]
    asyncore.loop()
    """
    )
    assert any("is not a statement of its own" in r for r in reports)


def test_an_unused_class_in_a_program_serving_another_server_converts_with_a_note():
    outcome = run(
        CLASS
        + """
    server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
    asyncore.loop()
    """
    )
    assert "smtpd" not in outcome.source.split("\nimport ", 1)[0]
    assert "class Sink:\n    async def handle_DATA" in outcome.source
    assert "\nserver = LegacyDebuggingHandler()\n" in outcome.source
    assert not [r for r in outcome.reports if not r.note]
    (unused,) = [r.format("t.py") for r in outcome.reports if "not instantiated" in r.message]
    assert unused.startswith("t.py:6: note: class Sink is not instantiated in this module,")
    assert "serve a Sink() with an aiosmtpd Controller instead" in unused


def test_noop_an_unused_class_in_a_module_serving_nothing_is_its_api():
    reports = check_noop(CLASS)
    assert reports == [
        "t.py:6: class Sink is not instantiated in this module, so its start-up cannot be"
        " rewritten with it (see migration_guide.md, section 'Rule startup: asyncore.loop"
        " becomes a Controller')"
    ]


def test_a_server_made_only_to_read_its_socket_is_made_above_that_line():
    """``print(Sink(...).socket.getsockname()[1])``: smtpd bound it there, unkept, and the
    loop served it; the handler and its controller are made just above, the line reads the
    controller's socket."""
    after = tail("""
    def main():
        port = Sink(("127.0.0.1", 0), None).socket.getsockname()[1]
        print(port, flush=True)
        asyncore.loop()
    """)
    assert after.endswith("""
def main():
    server = Sink()
    server_controller = BoundController(server, ("127.0.0.1", 0), enable_SMTPUTF8=False)
    port = server_controller.socket.getsockname()[1]
    print(port, flush=True)
    server_controller.start()
    # serves until interrupted, running process_message here as smtpd's loop did
    PROCESS_MESSAGE_EXECUTOR.serve()
""")


def test_a_local_server_of_another_function_leaves_the_name_free():
    """heldout11/ssl_sender_bug_pureproxy: ``server = smtplib.SMTP_SSL(...)`` inside a method
    is that method's own; the module's ``server`` is free for the handler."""
    after = tail("""
    def relay(host):
        server = smtplib.SMTP(host)
        server.quit()

    print(Sink(("127.0.0.1", 0), None).socket.getsockname()[1])
    asyncore.loop()
    """)
    assert "\nserver = Sink()\n" in after
    assert "\nprint(server_controller.socket.getsockname()[1])\n" in after
    assert "\ndef relay(host):\n    server = smtplib.SMTP(host)\n" in after


@pytest.mark.parametrize(
    "line",
    [
        # the name the codemod would give the server is taken
        'print(Sink(("127.0.0.1", 0), None).socket.getsockname()[1])\nserver = None',
        # a function reads the module's server: a global of that name is someone's
        'print(Sink(("127.0.0.1", 0), None).socket)\ndef show():\n    return server',
        # not always made: smtpd made it only when the condition held
        'print(Sink(("127.0.0.1", 0), None).socket if True else None)',
        # made in a lambda: when it runs is not this line's business
        'show = lambda: Sink(("127.0.0.1", 0), None).socket',
    ],
)
def test_a_server_made_inside_an_expression_is_reported_otherwise(line):
    reports = check_noop(CLASS + textwrap.indent(line + "\nasyncore.loop()\n", "    "))
    assert any("is not a statement of its own" in r for r in reports)


def test_server_returned_by_a_function_and_closed_elsewhere_gets_a_close():
    """A fixture function hands the server out, and another function closes it (_close)."""
    outcome = run(
        CLASS
        + """
    def smtp_server():
        server = Sink(("127.0.0.1", 0), None)
        thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        thread.start()
        return server, thread


    def stop(server, thread):
        server.close()
        thread.join(10)
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "    def close(self):\n" in outcome.source
    assert "        self.controller.stop()\n" in outcome.source
    assert "    server.controller = server_controller  # its close() stops it\n" in outcome.source
    assert "    server.close()\n    thread.join(10)\n" in outcome.source


def test_a_yielded_server_keeps_its_socket_and_says_close_is_gone():
    outcome = run(
        CLASS
        + """
    def smtp_server():
        server = Sink(("127.0.0.1", 0), None)
        thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        thread.start()
        yield server
        server.close()
        thread.join(10)
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        '    server_controller = BoundController(server, ("127.0.0.1", 0), enable_SMTPUTF8=False)\n'
        "    server.socket = server_controller.socket  # bound, as smtpd.SMTPServer's was\n"
    ) in outcome.source
    assert "    yield server\n    server_controller.stop()\n" in outcome.source
    notes = [r.format("t.py") for r in outcome.reports if r.note]
    assert any(
        n.startswith(
            "t.py:16: note: server leaves this function: the converted handler keeps "
            "server.socket (its controller's), but has no close()"
        )
        for n in notes
    ), notes


def test_a_module_level_server_closed_in_a_function_converts():
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)


    def shutdown():
        server.close()


    asyncore.loop()
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "def shutdown():\n    server_controller.stop()\n" in outcome.source


def test_explicit_map_none_is_the_default_and_converts():
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 2525), None, map=None)
    asyncore.loop(map=None)
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "server_controller.start()" in outcome.source


def test_noop_direct_smtpserver_says_why():
    reports = check_noop(
        """
    import asyncore
    import smtpd

    server = smtpd.SMTPServer(("127.0.0.1", 2525), None, decode_data=True)
    asyncore.loop()
    """
    )
    assert reports[0] == (
        "t.py:4: smtpd.SMTPServer(..., decode_data=True) is smtpd.SMTPServer itself, whose "
        "process_message raised NotImplementedError on every message: subclass it or use a "
        "handler (see migration_guide.md, section 'What needs manual work')"
    )


def test_noop_every_blocker_of_a_class_is_reported_at_its_line():
    reports = check_noop(
        """
    import asyncore
    import smtpd


    class Base(dict):  # not a plain class of the module: the handler cannot keep it
        pass


    class Sink(smtpd.SMTPServer, Base):
        def process_message(self, peer, mailfrom, rcpttos, data):
            print(self._map)

        def handle_accepted(self, conn, addr):
            pass


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
    """
    )
    manual = " (see migration_guide.md, section 'What needs manual work')"
    assert reports[:3] == [
        "t.py:9: class Sink has another base or class keyword besides smtpd.SMTPServer (Base): "
        "the handler would lose what it gives" + manual,
        "t.py:11: class Sink uses the dispatcher's _map: a handler has no socket of its own "
        "(its Controller has)" + manual,
        "t.py:13: class Sink overrides the dispatcher's handle_accepted: aiosmtpd makes the "
        "sessions (an SMTP subclass through Controller.factory())" + manual,
    ]


def test_noop_loop_in_another_function_is_reported_there_only():
    reports = check_noop(
        CLASS
        + """
    def make():
        global server
        server = Sink(("127.0.0.1", 2525), None)


    def serve():
        asyncore.loop()
    """
    )
    assert not any("no asyncore.loop() in this module" in r for r in reports)
    assert any(": asyncore.loop() does not follow the creation of a server" in r for r in reports)


def test_decode_data_from_a_module_constant():
    source = (
        CLASS
        + "\n    DECODE = True\n"
        + '    server = Sink(("127.0.0.1", 2525), None, decode_data=DECODE)\n    asyncore.loop()\n'
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert 'data = data.decode("utf-8")' in outcome.source


def test_decode_data_from_a_constant_set_twice_is_read_at_run_time():
    source = (
        CLASS
        + "\n    DECODE = True\n    if 1:\n        DECODE = False\n"
        + '    server = Sink(("127.0.0.1", 2525), None, decode_data=DECODE)\n    asyncore.loop()\n'
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "            if self._decode_data:\n" in outcome.source  # rule handler


def test_servers_of_several_blocks_each_start_with_their_loop():
    outcome = run(
        CLASS
        + """
    def first():
        server = Sink(("127.0.0.1", 0), None)
        thread = threading.Thread(target=asyncore.loop)
        thread.start()
        server.close()
        thread.join(5)


    server = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert outcome.source.count("server_controller = BoundController(") == 2
    thread = "thread = threading.Thread(target=serve_until_stopped, args=(server_controller,))"
    assert thread in outcome.source
    assert outcome.source.endswith(
        "server_controller.start()\n"
        "# serves until interrupted, running process_message here as smtpd's loop did\n"
        "PROCESS_MESSAGE_EXECUTOR.serve()\n"
    )


def test_noop_close_all_with_servers_in_several_blocks():
    reports = check_noop(
        CLASS
        + """
    def first():
        server = Sink(("127.0.0.1", 0), None)
        asyncore.loop()


    other = Sink(("127.0.0.1", 0), None)
    asyncore.loop()
    asyncore.close_all()
    """
    )
    assert any("asyncore.close_all() closes the servers of every block" in r for r in reports)


def test_noop_instance_made_by_a_classmethod_says_so():
    reports = check_noop(
        """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        @classmethod
        def make(cls):
            return cls(("127.0.0.1", 0), None)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink.make()
    asyncore.loop()
    """
    )
    # cls(...) in a classmethod is an instance of the class, started like any other (_choice)
    assert any(
        r.startswith("t.py:8: cls(...) is served by an asyncore.loop() outside the block")
        for r in reports
    )
    assert not any("is not instantiated in this module" in r for r in reports)


# -- a loop another function's close() ends ---------------------------------------------


THREAD_WITH_STOP = """
    class ServerThread(threading.Thread):
        def run(self):
            self.smtp = Sink(("127.0.0.1", 0), None)
            self.port = self.smtp.socket.getsockname()[1]
            self.ready.set()
            asyncore.loop(timeout=0.1)

        def stop(self):
            self.smtp.close()
            self.join(10)
"""


def test_a_loop_a_stop_method_ends_waits_until_stopped():
    """smtpd's loop returned once stop() closed its only server: so does the converted run()."""
    outcome = run(CLASS + THREAD_WITH_STOP)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        self.smtp_controller.start()\n"
        "        # serves until stop(), running process_message here as smtpd's loop did\n"
        "        PROCESS_MESSAGE_EXECUTOR.serve(until=self.smtp_controller.stopped)\n"
    ) in outcome.source
    assert "threading.Event().wait()" not in outcome.source
    assert "            self.stopped.set()\n" in outcome.source  # BoundController.stop()


def test_converted_run_returns_once_stopped_and_served_until_then():
    """The converted thread serves a real client, then stop() ends run() and join() returns."""
    recording = CLASS.replace("            pass\n", "            GOT.append(rcpttos)\n")
    assert recording != CLASS
    scope: dict = {"GOT": []}
    exec(compile(run(recording + THREAD_WITH_STOP).source, "converted.py", "exec"), scope)  # noqa: S102
    thread = scope["ServerThread"]()
    thread.ready = threading.Event()
    thread.start()
    try:
        assert thread.ready.wait(10)
        with smtplib.SMTP("127.0.0.1", thread.port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nbody\r\n")
    finally:
        thread.stop()
    assert not thread.is_alive()
    assert scope["GOT"] == [["b@example.com"]]


def test_a_signal_handler_calling_close_all_ends_the_module_loop():
    outcome = run(
        CLASS
        + """
    def on_signal(signum, frame):
        asyncore.close_all()


    server = Sink(("127.0.0.1", 2525), None)
    asyncore.loop()
    print("loop ended")
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "    server_controller.stop()\n" in outcome.source
    assert "server_controller = BoundController(server" in outcome.source
    assert outcome.source.endswith(
        "server_controller.start()\n"
        "# serves until stop(), running process_message here as smtpd's loop did\n"
        "PROCESS_MESSAGE_EXECUTOR.serve(until=server_controller.stopped)\n"
        'print("loop ended")\n'
    )


def test_socket_read_through_the_owning_object_is_kept_and_noted():
    """``fixture.server.socket`` outside the class that keeps ``self.server``."""
    outcome = run(
        CLASS
        + """
    class Fixture(threading.Thread):
        def __init__(self):
            self.server = Sink(("127.0.0.1", 0), None)
            threading.Thread.__init__(self, target=asyncore.loop)


    fixture = Fixture()
    fixture.start()
    print(fixture.server.socket.getsockname()[1])
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "self.server.socket = self.server_controller.socket  # bound, as smtpd.SMTPServer's was"
        in outcome.source
    )
    [note] = [r.format("t.py") for r in outcome.reports if "outside its class" in r.format("t")]
    assert note.startswith("t.py:20: note: fixture.server.socket reads the server outside")
    assert "must call fixture.server_controller.stop() instead" in note


def test_smtpds_attributes_read_outside_the_class_are_kept():
    """A start-up banner printing what smtpd stored on the server still reads it."""
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 2525), ("relay.invalid", 25), data_size_limit=4096)
    print(server._remoteaddr, server.data_size_limit, server._decode_data)
    asyncore.loop()
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "self._remoteaddr = remoteaddr" in outcome.source
    assert "self.data_size_limit = data_size_limit" in outcome.source
    assert "self._decode_data = decode_data" in outcome.source


def test_noop_an_attribute_its_own_init_never_stored():
    """Its own __init__ passes no size limit: smtpd's default was stored, the handler's
    attribute assignments would not have it."""
    reports = check_noop(
        """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, port):
            smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    server = Sink(2525)
    print(server.data_size_limit)
    asyncore.loop()
    """
    )
    assert (
        "t.py:14: server.data_size_limit reads the data_size_limit smtpd stored on the "
        "server: the converted handler does not have it (see migration_guide.md, section "
        "'Rule startup: asyncore.loop becomes a Controller')"
    ) in reports


# -- a server followed to a loop outside the block that creates it (_serving) ----------


IMPORTS = CLASS.split("class Sink")[0]


def converted(source: str) -> str:
    """The converted source of a module whose only server class is in ``source``."""
    outcome = run(IMPORTS + source)
    assert [r for r in outcome.reports if not r.note] == []
    return outcome.source


def test_loop_in_a_method_of_the_server_class_uses_the_global_controller():
    after = converted("""
    class Serving(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def serve(self):
            asyncore.loop(timeout=0.5)


    server = Serving(("127.0.0.1", 0), None)
    try:
        server.serve()
    except KeyboardInterrupt:
        server.close()
    """)
    assert "        server_controller.start()\n        # serves until stop()" in after
    assert after.endswith("""
server = Serving()
server_controller = BoundController(server, ("127.0.0.1", 0), enable_SMTPUTF8=False)
try:
    server.serve()
except KeyboardInterrupt:
    server_controller.stop()
""")


def test_loop_in_a_method_reaches_a_local_server_through_self():
    after = converted("""
    class Serving(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def serve(self):
            asyncore.loop()


    def main():
        local = Serving(("127.0.0.1", 0), None)
        try:
            local.serve()
        except KeyboardInterrupt:
            local.close()
    """)
    assert "    def serve(self):\n        self.controller.start()\n" in after
    assert "    local.controller = local_controller\n" in after
    assert "    local.socket = local_controller.socket" in after
    assert "        local_controller.stop()\n" in after


def test_thread_subclass_serving_the_server_its_init_made():
    after = tail("""
    class SinkThread(threading.Thread):
        def __init__(self):
            threading.Thread.__init__(self)
            self.smtp = Sink(("127.0.0.1", 0), None)

        def run(self):
            asyncore.loop(timeout=0.05)

        def stop(self):
            self.smtp.close()
            self.join(10)
    """)
    assert (
        """
    def run(self):
        self.smtp_controller.start()
        # serves until stop(), running process_message here as smtpd's loop did
        PROCESS_MESSAGE_EXECUTOR.serve(until=self.smtp_controller.stopped)

    def stop(self):
        self.smtp_controller.stop()
        self.join(10)
"""
        in after
    )


def test_noop_server_made_outside_init_and_served_by_another_method():
    reports = check_noop(
        CLASS
        + """
    class Fixture:
        def make(self):
            self.smtp = Sink(("127.0.0.1", 0), None)

        def serve(self):
            asyncore.loop()
    """
    )
    assert any(
        ": asyncore.loop() does not follow the creation of a server in the same block, "
        "nor reaches the one this module creates" in r
        for r in reports
    )


def test_returned_server_is_named_and_carries_its_controller():
    after = tail("""
    def build(port):
        return Sink(("127.0.0.1", port), None)


    made = build(0)
    print(made.socket.getsockname())
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        made.close()
    """)
    assert after.endswith("""
def build(port):
    server = Sink()
    server_controller = BoundController(server, ("127.0.0.1", port), enable_SMTPUTF8=False)
    server.controller = server_controller
    server.socket = server_controller.socket  # bound, as smtpd.SMTPServer's was
    return server


made = build(0)
print(made.socket.getsockname())
try:
    made.controller.start()
    # serves until interrupted, running process_message here as smtpd's loop did
    PROCESS_MESSAGE_EXECUTOR.serve()
except KeyboardInterrupt:
    made.controller.stop()
""")


def test_server_passed_to_a_runner_class_is_served_and_stopped_through_it():
    after = tail("""
    class Runner:
        def __init__(self, smtp):
            self.smtp = smtp

        def start(self):
            self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
            self.thread.start()

        def stop(self):
            self.smtp.close()
            self.thread.join(10)


    def background():
        smtp = Sink(("127.0.0.1", 0), None)
        return Runner(smtp)
    """)
    assert "threading.Thread(target=serve_until_stopped, args=(self.smtp.controller,))\n" in after
    assert "        self.smtp.controller.stop()\n        self.thread.join(10)\n" in after
    assert "    smtp.controller = smtp_controller\n    smtp.socket = " in after


def test_noop_distant_loop_with_two_servers():
    reports = check_noop(
        CLASS
        + """
    first = Sink(("127.0.0.1", 0), None)
    second = Sink(("127.0.0.1", 0), None)


    def serve():
        asyncore.loop()
    """
    )
    assert any(
        "t.py:17: asyncore.loop() does not follow the creation of a server in the same block, "
        "and the module creates more than one" in r
        for r in reports
    )


def test_noop_carried_controller_would_clash_with_the_class_attribute():
    reports = check_noop(
        IMPORTS
        + """
    class Owned(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def __init__(self, localaddr, remoteaddr):
            smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
            self.controller = None

        def serve(self):
            asyncore.loop()


    def main():
        local = Owned(("127.0.0.1", 0), None)
        local.serve()
    """
    )
    assert any("class Owned has a controller attribute of its own" in r for r in reports)


def test_noop_returned_where_the_name_server_is_taken():
    reports = check_noop(
        CLASS
        + """
    def build(server="unused"):
        return Sink(("127.0.0.1", 0), None)


    made = build()
    asyncore.loop()
    """
    )
    assert any("Sink(...) is returned where 'server' is taken" in r for r in reports)


def test_noop_close_through_a_path_not_followed():
    reports = check_noop(
        CLASS
        + """
    class Holder:
        pass


    def make(holder):
        smtp = Sink(("127.0.0.1", 0), None)
        holder.smtp = smtp
        thread = threading.Thread(target=asyncore.loop)
        thread.start()


    def stop(holder):
        holder.smtp.close()
    """
    )
    assert any("holder.smtp.close may be the server's, which is not followed" in r for r in reports)


FLAT_IMPORTS = textwrap.dedent(IMPORTS).lstrip("\n")


def converted_flat(source: str) -> str:
    """``converted`` for a source written without the indent of the other tests."""
    outcome = run(FLAT_IMPORTS + source)
    assert [r for r in outcome.reports if not r.note] == []
    return outcome.source


LOOP_HELPER = """
class LoopHelper:
    def poll(self, done, timeout=0.1, map=None):
        if map is None:
            map = asyncore.socket_map
        while %s:
            asyncore.loop(timeout=timeout, map=map, count=1)

    def start(self):
        self.done = []
        self.thread = threading.Thread(target=self.poll, args=(self.done,))
        self.thread.start()

    def stop(self):
        self.done.append(True)
        self.thread.join(10)


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass


class Fixture(LoopHelper):
    def start(self):
        self.smtp = Sink(("127.0.0.1", 0), None)
        LoopHelper.start(self)

    def stop(self):
        self.smtp.close()
        LoopHelper.stop(self)
"""


def test_base_class_polling_the_map_under_a_local_name():
    after = converted_flat(LOOP_HELPER % "map and not done")
    assert (
        """
class LoopHelper:
    def poll(self, done, timeout=0.1, map=None):
        PROCESS_MESSAGE_EXECUTOR.start_polling()
        self.smtp_controller.start()
        while not self.smtp_controller.stopped.is_set() and not done:
            PROCESS_MESSAGE_EXECUTOR.serve_once(timeout)  # runs process_message here
"""
        in after
    )
    assert "        self.smtp_controller.stop()\n        LoopHelper.stop(self)\n" in after


def test_a_polling_loop_with_other_work_away_from_the_server_is_followed():
    """The loop's first statement is not its poll (heldout4/smtplib_sim_channel raised an
    internal error there): the poll line becomes the wait, the other work stays, noted."""
    source = (LOOP_HELPER % "map and not done").replace(
        "            asyncore.loop(timeout=timeout, map=map, count=1)\n",
        "            if done:\n                break\n"
        "            asyncore.loop(timeout=timeout, map=map, count=1)\n"
        "            self.polls = getattr(self, 'polls', 0) + 1\n",
    )
    outcome = run(FLAT_IMPORTS + source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "            if done:\n                break\n"
        "            PROCESS_MESSAGE_EXECUTOR.serve_once(timeout)  # runs process_message here\n"
        "            self.polls = getattr(self, 'polls', 0) + 1\n"
    ) in outcome.source
    assert any(
        "other statements now run after each pass that ran messages, otherwise" in r.message
        for r in outcome.reports
    )


def test_noop_map_read_other_than_as_an_operand():
    reports = check_noop(FLAT_IMPORTS + LOOP_HELPER % "len(map) > 1 and not done")
    assert any("the polling loop reads asyncore's map as map other than" in r for r in reports)


def test_noop_base_class_with_another_subclass():
    other = "\n\nclass Other(LoopHelper):\n    pass\n"
    source = FLAT_IMPORTS + LOOP_HELPER % "map and not done" + other
    reports = check_noop(source)
    assert any("the polling loop does not follow the creation of a server" in r for r in reports)


def test_noop_loop_started_before_the_server_exists():
    source = FLAT_IMPORTS + (LOOP_HELPER % "map and not done").replace(
        """        self.smtp = Sink(("127.0.0.1", 0), None)
        LoopHelper.start(self)""",
        """        LoopHelper.start(self)
        self.smtp = Sink(("127.0.0.1", 0), None)""",
    )
    reports = check_noop(source)
    assert any("the polling loop does not follow the creation of a server" in r for r in reports)


CONTEXT_MANAGER = """
class Trap:
    def __enter__(self):
        self.smtp = Sink(("127.0.0.1", 0), None)
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.smtp.close()
        self.thread.join(10)


with Trap() as trap:
    print(trap.smtp.socket.getsockname()[1])
"""


def test_context_manager_returning_self_hands_out_the_owner_not_the_server():
    after = tail(textwrap.indent(CONTEXT_MANAGER, "    "))
    assert "Thread(target=serve_until_stopped, args=(self.smtp_controller,))\n" in after
    assert "        self.smtp.socket = self.smtp_controller.socket" in after
    assert "        self.smtp_controller.stop()\n" in after


def test_owner_closing_the_server_outside_its_class_closes_through_the_handler():
    """The handler gets a close() stopping its controller, a second stop() is harmless."""
    after = tail(textwrap.indent(CONTEXT_MANAGER + "trap.smtp.close()\n", "    "))
    assert "        self.smtp.controller = self.smtp_controller  # its close() stops it\n" in after
    assert after.endswith("\ntrap.smtp.close()\n")


def test_socket_read_by_a_path_not_followed_is_kept_on_the_handler():
    after = tail("""
    class Box:
        pass


    box = Box()


    def make():
        smtp = Sink(("127.0.0.1", 0), None)
        box.smtp = smtp
        thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        thread.start()


    make()
    print(box.smtp.socket.getsockname()[1])
    """)
    assert "    smtp.socket = smtp_controller.socket  # bound, as smtpd.SMTPServer's was\n" in after
    assert "print(box.smtp.socket.getsockname()[1])" in after


def test_polling_loop_inside_the_map_alias_if():
    nested = LOOP_HELPER.replace(
        """            map = asyncore.socket_map
        while %s:
            asyncore.loop(timeout=timeout, map=map, count=1)""",
        """            map = asyncore.socket_map
            while %s:
                asyncore.loop(timeout=timeout, map=map, count=1)""",
    )
    after = converted_flat(nested % "map and not done")
    assert (
        """
    def poll(self, done, timeout=0.1, map=None):
        if map is None:
            PROCESS_MESSAGE_EXECUTOR.start_polling()
            self.smtp_controller.start()
            while not self.smtp_controller.stopped.is_set() and not done:
                PROCESS_MESSAGE_EXECUTOR.serve_once(timeout)  # runs process_message here
"""
        in after
    )


def test_function_loop_called_after_the_creation_under_the_main_guard():
    after = tail("""
    def serve():
        asyncore.loop()


    if __name__ == "__main__":
        server = Sink(("127.0.0.1", 0), None)
        try:
            serve()
        except KeyboardInterrupt:
            server.close()
    """)
    assert "def serve():\n    server_controller.start()\n" in after
    assert "        server_controller.stop()\n" in after


def test_noop_function_loop_called_before_the_creation_under_the_main_guard():
    reports = check_noop(
        CLASS
        + """
    def serve():
        asyncore.loop()


    if __name__ == "__main__":
        serve()
        server = Sink(("127.0.0.1", 0), None)
    """
    )
    assert any("asyncore.loop() does not follow the creation of a server" in r for r in reports)


def test_loop_thread_serves_until_stop_and_a_closing_function_is_followed():
    after = tail("""
    def close_later(smtp):
        smtp.close()


    server = Sink(("127.0.0.1", 0), None)
    thread = threading.Thread(target=asyncore.loop, daemon=True)
    thread.start()
    threading.Thread(target=close_later, args=(server,)).start()
    thread.join()
    """)
    assert "    smtp.controller.stop()\n" in after
    assert (
        "thread = threading.Thread(target=serve_until_stopped, daemon=True, "
        "args=(server_controller,))\n" in after
    )


def test_noop_server_passed_to_code_not_followed():
    reports = check_noop(
        CLASS
        + """
    from registry import register

    server = Sink(("127.0.0.1", 0), None)
    register(server)
    asyncore.loop()
    """
    )
    assert any(
        "server is passed on here, where the codemod does not follow it" in r for r in reports
    )


def test_noop_module_name_taken_by_the_loop_thread_helper():
    reports = check_noop(
        CLASS
        + """
    serve_until_stopped = None
    server = Sink(("127.0.0.1", 0), None)
    threading.Thread(target=asyncore.loop).start()
    """
    )
    assert any("has a name serve_until_stopped of its own" in r for r in reports)


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (
            '\n    target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True\n',
            "\n    target=serve_until_stopped, daemon=True, args=(server_controller,)\n",
        ),
        (
            "\n    target=asyncore.loop,\n    daemon=True,\n",
            "\n    target=serve_until_stopped,\n    daemon=True,\n    args=(server_controller,),\n",
        ),
    ],
)
def test_loop_thread_split_over_lines_stays_split_and_lint_clean(arguments, expected):
    outcome = run(
        CLASS
        + f"""
    server = Sink(("127.0.0.1", 0), None)
    thread = threading.Thread({textwrap.indent(arguments, "    ")}    )
    thread.start()
    server.close()
    thread.join(10)
    """
    )
    assert f"thread = threading.Thread({expected})\n" in outcome.source


# -- a server made global by the function creating it ---------------------------


def test_global_server_closed_by_a_signal_handler():
    after = tail("""
    server = None


    def stop(signum, frame):
        server.close()
        raise SystemExit(0)


    def main():
        global server
        server = Sink(("127.0.0.1", 0), None)
        signal.signal(signal.SIGINT, stop)
        asyncore.loop()
    """)
    assert "    server.controller.stop()\n    raise SystemExit(0)" in after
    assert after.endswith("""
    server = Sink()
    server_controller = BoundController(server, ("127.0.0.1", 0), enable_SMTPUTF8=False)
    server.controller = server_controller
    server.socket = server_controller.socket  # bound, as smtpd.SMTPServer's was
    signal.signal(signal.SIGINT, stop)
    server_controller.start()
    # serves until stop(), running process_message here as smtpd's loop did
    PROCESS_MESSAGE_EXECUTOR.serve(until=server_controller.stopped)
""")


def test_global_server_served_by_another_function():
    after = tail("""
    def setup():
        global server
        server = Sink(("127.0.0.1", 0), None)


    def serve():
        asyncore.loop(timeout=1)


    setup()
    serve()
    """)
    assert "def serve():\n    server.controller.start()\n" in after


def test_noop_global_server_read_where_a_local_shadows_it():
    reports = check_noop(
        CLASS
        + """
    def setup():
        global server
        server = Sink(("127.0.0.1", 0), None)
        asyncore.loop()


    def other(server):
        server.close()
    """
    )
    assert any("server.close" in r for r in reports)


def test_noop_global_server_served_before_it_is_made():
    reports = check_noop(
        CLASS
        + """
    def setup():
        global server
        server = Sink(("127.0.0.1", 0), None)


    def serve():
        asyncore.loop(timeout=1)


    serve()  # smtpd's loop returned at once: no server yet
    setup()
    """
    )
    assert any("asyncore.loop() does not follow the creation" in r for r in reports)


# -- a private map= kept by the one server, every loop and close_all ------------


def test_private_map_through_the_thread_kwargs_and_close_all():
    after = tail("""
    def serve():
        sockets = {}
        server = Sink(("127.0.0.1", 0), None, map=sockets)
        thread = threading.Thread(target=asyncore.loop, kwargs={"map": sockets, "timeout": 1})
        thread.start()
        try:
            input()
        finally:
            asyncore.close_all(map=sockets)
            thread.join(5)
    """)
    assert "sockets" not in after  # the map goes with the loop
    assert "Thread(target=serve_until_stopped, args=(server_controller, SINK_EXECUTOR))" in after
    assert "        server_controller.stop()\n        thread.join(5)" in after


def test_private_map_passed_through_init_and_loop():
    source = (
        CLASS.replace(
            "class Sink(smtpd.SMTPServer):\n",
            "class Sink(smtpd.SMTPServer):\n"
            "        def __init__(self, localaddr, sockets):\n"
            "            smtpd.SMTPServer.__init__(self, localaddr, None, map=sockets)\n\n",
        )
        + """
    own = {}
    server = Sink(("127.0.0.1", 2525), own)
    try:
        asyncore.loop(1, False, own)
    finally:
        asyncore.close_all(own)
    """
    )
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert "own = {}" in outcome.source  # still passed to the handler's __init__
    assert "server_controller.start()" in outcome.source
    assert "asyncore" not in outcome.source


def test_noop_private_map_read_elsewhere():
    reports = check_noop(
        CLASS
        + """
    own = {}
    server = Sink(("127.0.0.1", 0), None, map=own)
    print(len(own))
    asyncore.loop(map=own)
    """
    )
    assert any("own, the server's socket map, is used here" in r for r in reports)


def test_noop_loop_on_the_shared_map_beside_a_private_one():
    reports = check_noop(
        CLASS
        + """
    own = {}
    server = Sink(("127.0.0.1", 0), None, map=own)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
    """
    )
    assert any("does not pass map=own, the map of the server" in r for r in reports)


def test_noop_private_map_that_is_not_a_new_dict():
    reports = check_noop(
        CLASS
        + """
    own = make_map()
    server = Sink(("127.0.0.1", 0), None, map=own)
    asyncore.loop(map=own)
    """
    )
    assert any("is not a name bound once to a new dict" in r for r in reports)


def test_noop_loop_given_a_map_no_server_is_on():
    reports = check_noop(
        CLASS
        + """
    other = {}
    server = Sink(("127.0.0.1", 0), None)
    asyncore.loop(timeout=1, map=other)
    """
    )
    assert any("is given a map= no server this module creates is on" in r for r in reports)


@pytest.mark.parametrize(
    "maps, second_map, reasons",
    [
        # one class on two maps (two loop threads); the second map's server is never served
        (
            "one = {}\n    two = {}",
            "two",
            ["has instances on different maps", "second is served by an asyncore.loop() outside"],
        ),
        ("one = {}", "one", ["converts only where no other server is on that map"]),
    ],
)
def test_noop_two_servers_on_private_maps(maps, second_map, reasons):
    reports = check_noop(
        CLASS
        + f"""
    {maps}
    first = Sink(("127.0.0.1", 0), None, map=one)
    second = Sink(("127.0.0.1", 0), None, map={second_map})
    asyncore.loop(map=one)
    """
    )
    for reason in reasons:
        assert any(reason in r for r in reports), reason


TWO_MAPS = """
    import asyncore
    import smtpd
    import threading


    class Audit(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    class Front(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass


    audit_map = {}
    audit = Audit(("127.0.0.1", 0), None, map=audit_map)
    worker = threading.Thread(target=asyncore.loop, kwargs={"map": audit_map}, daemon=True)
    worker.start()
    front = Front(("127.0.0.1", 0), audit.socket.getsockname())
    try:
        asyncore.loop(timeout=1)
    finally:
        front.close()
        asyncore.close_all(map=audit_map)
"""


def test_each_loop_serves_the_server_on_its_own_map():
    outcome = run(TWO_MAPS)
    assert [r for r in outcome.reports if not r.note] == []
    source = outcome.source
    assert "audit_map" not in source and "asyncore" not in source
    assert "target=serve_until_stopped, daemon=True, args=(audit_controller, AUDIT_EXECUTOR)" in (
        source
    )
    assert "front = Front()\n" in source  # it reads no _remoteaddr
    assert (
        "    front_controller.start()\n"
        "    # serves until interrupted, running process_message here as smtpd's loop did\n"
        "    PROCESS_MESSAGE_EXECUTOR.serve()"
    ) in source  # not audit's
    assert "    front_controller.stop()\n    audit_controller.stop()\n" in source
    # the private map's loop thread ran Audit's process_message, the main loop Front's
    assert "reply = await loop.run_in_executor(AUDIT_EXECUTOR, call)" in source
    assert "reply = await loop.run_in_executor(PROCESS_MESSAGE_EXECUTOR, call)" in source
    assert "AUDIT_EXECUTOR = LoopThreadExecutor()" in source


def test_noop_loop_thread_on_the_shared_map_serving_two():
    reports = check_noop(
        CLASS
        + """
    first = Sink(("127.0.0.1", 0), None)
    second = Sink(("127.0.0.1", 0), None)
    threading.Thread(target=asyncore.loop, kwargs={"map": None}, daemon=True).start()
    """
    )
    assert any("does not follow the creation of exactly one server" in r for r in reports)


# -- a base class of the module's own, listed before the smtpd base -----------------

MIXIN = """
    import asyncore
    import smtpd


    class Runner:
        {runner}

        def run(self):
            try:
                self.serve()
            except KeyboardInterrupt:
                self.log("interrupted")


    class Service({bases}):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.log("message")

        def serve(self):
            asyncore.loop()


    service = Service(("127.0.0.1", 0), None)
    service.run()
"""
LOG = "def log(self, text):\n            print(text)"


def mixin(runner: str = LOG, bases: str = "Runner, smtpd.SMTPServer") -> str:
    return MIXIN.format(runner=runner, bases=bases)


def test_mixin_listed_first_stays_the_handlers_base():
    outcome = run(mixin())
    assert [r for r in outcome.reports if not r.note] == []
    assert "class Service(Runner):" in outcome.source
    assert "def log(self, text):" in outcome.source  # the mixin's log, kept
    assert "    def serve(self):\n        service_controller.start()\n" in outcome.source


@pytest.mark.parametrize(
    ("runner", "bases", "reason"),
    [
        (LOG, "smtpd.SMTPServer, Runner", "has another base"),  # the dispatcher's log won
        (LOG + "\n\n        def close(self):\n            pass", None, "dispatcher's close"),
        (LOG + "\n\n        def handle_RCPT(self):\n            pass", None, "as a hook"),
        (LOG + "\n\n        def stop(self):\n            self.close()", None, "dispatcher's close"),
    ],
)
def test_noop_mixin_that_cannot_be_kept(runner, bases, reason):
    reports = check_noop(mixin(runner, bases or "Runner, smtpd.SMTPServer"))
    assert any(reason in r for r in reports), reports


# -- self.close() in the server's own methods --------------------------------------

SELF_CLOSE = """
    import asyncore
    import smtpd
    import threading


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            {process}

        def shutdown(self):
            self.close()
            self.thread.join(5)


    {instances}
    server.thread = threading.Thread(
        target=asyncore.loop, kwargs={{"timeout": 0.1}}, daemon=True
    )
    server.thread.start()
    server.shutdown()
"""


def test_self_close_stays_and_the_handlers_close_stops_its_controller():
    outcome = run(
        SELF_CLOSE.format(process="pass", instances='server = Sink(("127.0.0.1", 2525), None)')
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self.close()\n        self.thread.join(5)\n" in outcome.source
    assert "    def close(self):\n" in outcome.source  # the handler's own (_close)
    assert "        self.controller.stop()\n" in outcome.source
    assert "server.controller = server_controller  # its close() stops it\n" in outcome.source
    assert "BoundController(server, " in outcome.source  # stop() safe before start()
    assert (
        "server.thread = threading.Thread(\n"
        "    target=serve_until_stopped, daemon=True, args=(server_controller,)\n)\n"
    ) in outcome.source


def test_noop_self_close_while_process_message_runs():
    reports = check_noop(
        SELF_CLOSE.format(
            process="self.shutdown()", instances='server = Sink(("127.0.0.1", 0), None)'
        )
    )
    assert any("class Sink uses the dispatcher's close" in r for r in reports)


def test_noop_self_close_of_two_instances_on_one_loop_thread():
    reports = check_noop(
        SELF_CLOSE.format(
            process="pass",
            instances='other = Sink(("127.0.0.1", 0), None)\n'
            '    server = Sink(("127.0.0.1", 0), None)',
        )
    )
    assert any("does not follow the creation of exactly one server" in r for r in reports)


@pytest.mark.parametrize(
    "thread",
    [
        'threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1, "count": 999})',
        "threading.Thread(target=asyncore.loop, args=(0.1, False, None, 50))",
        "threading.Thread(target=lambda: asyncore.loop(timeout=0.1, count=5))",
        "threading.Thread(target=functools.partial(asyncore.loop, 0.1, False, None, PASSES))",
    ],
)
def test_noop_loop_thread_with_a_count(thread):
    reports = check_noop(CLASS + f'\n    server = Sink(("127.0.0.1", 0), None)\n    {thread}\n')
    assert any("the loop thread is given count=" in r for r in reports)


@pytest.mark.parametrize(
    "target, count",
    [
        ("lambda: asyncore.loop()", None),
        ("lambda: asyncore.loop(timeout=1, count=100000)", "100000"),
        ("functools.partial(asyncore.loop, 0.5)", None),
        ("functools.partial(asyncore.loop, timeout=0.5, count=10_000)", "10_000"),
    ],
)
def test_loop_thread_target_calling_the_loop_starts_the_controller(target, count):
    thread = f"threading.Thread(target={target}, daemon=True).start()"
    outcome = run(CLASS + f'\n    server = Sink(("127.0.0.1", 0), None)\n    {thread}\n')
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "threading.Thread(target=serve_until_stopped, daemon=True, args=(server_controller,))"
        ".start()\n"
    ) in outcome.source
    assert "asyncore" not in outcome.source
    counted = [r.message for r in outcome.reports if "stopped serving after" in r.message]
    assert counted == ([] if count is None else [counted_passes(count)])


ATTRIBUTE_MAP = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr):
            self.sockets = {}
            smtpd.SMTPServer.__init__(self, localaddr, None, map=self.sockets)

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def serve(self):
            asyncore.loop(map=self.sockets)

        def stop(self):
            asyncore.close_all(map=self.sockets)


    {rest}
"""


def test_private_map_kept_as_an_attribute_of_the_server():
    outcome = run(
        ATTRIBUTE_MAP.replace("{rest}", 'server = Sink(("127.0.0.1", 0))\n    server.serve()')
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "asyncore" not in outcome.source
    assert "        server_controller.stop()\n" in outcome.source


def test_noop_attribute_map_served_outside_the_class():
    reports = check_noop(
        ATTRIBUTE_MAP.replace(
            "{rest}", 'server = Sink(("127.0.0.1", 0))\n    asyncore.loop(map=server.sockets)'
        )
    )
    assert any("does not pass map=self.sockets" in r for r in reports)


def test_close_all_in_a_lambda_stops_the_one_server():
    after = tail("""
    server = Sink(("127.0.0.1", 0), None)
    signal.signal(signal.SIGTERM, lambda signum, frame: asyncore.close_all())
    asyncore.loop()
    """)
    assert "signal.signal(signal.SIGTERM, lambda signum, frame: server_controller.stop())" in after
    assert after.endswith(
        "# serves until stop(), running process_message here as smtpd's loop did\n"
        "PROCESS_MESSAGE_EXECUTOR.serve(until=server_controller.stopped)\n"
    )


def test_noop_close_all_in_a_lambda_with_two_servers():
    reports = check_noop(
        CLASS
        + """
    one = Sink(("127.0.0.1", 0), None)
    two = Sink(("127.0.0.1", 0), None)
    signal.signal(signal.SIGTERM, lambda signum, frame: asyncore.close_all())
    asyncore.loop()
    """
    )
    assert any("asyncore.close_all() is part of an expression" in r for r in reports)


def test_noop_close_all_in_a_lambda_out_of_the_servers_reach():
    reports = check_noop(
        CLASS
        + """
    def install():
        signal.signal(signal.SIGTERM, lambda signum, frame: asyncore.close_all())


    def main():
        server = Sink(("127.0.0.1", 0), None)
        install()
        asyncore.loop()
    """
    )
    assert any("asyncore.close_all() does not reach the server here" in r for r in reports)


def test_close_passed_on_as_a_cleanup_becomes_the_controllers_stop():
    after = tail("""
    class Case:
        def setUp(self):
            self.server = Sink(("127.0.0.1", 2525), None)
            self.addCleanup(self.server.close)
            self.thread = threading.Thread(target=asyncore.loop)
            self.thread.start()
    """)
    assert "self.addCleanup(self.server_controller.stop)" in after
    assert "BoundController(" in after  # a cleanup may run before the loop started


def test_noop_close_passed_on_as_star_arguments():
    reports = check_noop(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    atexit.register(*[server.close])
    asyncore.loop()
    """
    )
    assert any("server.close is not called directly" in r for r in reports)


SERVE_FROM_INIT = """
    import asyncore
    import smtpd
    import threading


    class Sink(smtpd.SMTPServer):
        def __init__(self):
            {before}super().__init__(("127.0.0.1", 0), None)
            {after}

        def serve(me):
            threading.Thread(target=asyncore.loop).start()

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(data)


    server = Sink()
    {more}
    input()
"""


def test_loop_thread_started_by_a_method_init_calls_starts_the_class_controller():
    outcome = run(SERVE_FROM_INIT.format(before="", after="self.serve()", more=""))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self.controller = BoundController(self, self._localaddr" in outcome.source
    assert (
        "    def serve(me):\n"
        "        threading.Thread(target=serve_until_stopped, args=(me.controller,)).start()\n"
    ) in outcome.source


@pytest.mark.parametrize(
    "before, after, more",
    [
        ("self.serve()\n            ", "pass", ""),  # before smtpd bound: its loop returned
        ("", "self.serve()", "server.serve()"),  # started again from elsewhere
    ],
)
def test_noop_loop_started_while_the_server_is_created(before: str, after: str, more: str):
    """A loop thread started from a method the server's own __init__ calls before its base
    call, or that other code calls too, runs before the name the creation binds exists (or
    twice): no Controller can be named there, so it is reported."""
    reports = check_noop(SERVE_FROM_INIT.format(before=before, after=after, more=more))
    assert any(
        "threading.Thread(target=asyncore.loop) runs while the server is created" in r
        for r in reports
    ), reports


INIT_LOOP_THREAD = """
    import asyncore
    import smtpd
    import threading


    class Inbox(smtpd.SMTPServer):
        def __init__(self, port):
            self.seen = []
            {before}smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None)
            {after}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.seen.append(data)


    inbox = Inbox(0)
    print(inbox.socket.getsockname()[1])
    {more}
"""
STARTS_LOOP = "threading.Thread(target=asyncore.loop, daemon=True).start()"


def test_loop_thread_started_by_init_starts_the_class_controller():
    outcome = run(INIT_LOOP_THREAD.format(before="", after=STARTS_LOOP, more="inbox.close()"))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        self._remoteaddr = None\n"
        "        self.controller = BoundController(self, self._localaddr, enable_SMTPUTF8=False)\n"
        "        self.socket = self.controller.socket  # bound, as smtpd.SMTPServer's was\n"
        "        threading.Thread(target=serve_until_stopped, daemon=True, "
        "args=(self.controller,)).start()\n"
    ) in outcome.source
    assert "inbox = Inbox(0)\nprint(inbox.controller.socket.getsockname()[1])\n" in outcome.source
    assert "inbox.controller.stop()\n" in outcome.source
    assert "inbox_controller" not in outcome.source  # the class made its own


@pytest.mark.parametrize(
    "before, after, more, reason",
    [
        (STARTS_LOOP + "\n            ", "pass", "", "runs while the server is created"),
        (
            "",
            STARTS_LOOP,
            'other = Inbox(1)\n    sink = smtpd.DebuggingServer(("127.0.0.1", 0), None)',
            "this module creates others",
        ),
        ("", STARTS_LOOP, "asyncore.loop()", "another loop here serves them too"),
    ],
)
def test_noop_loop_thread_started_by_init_that_serves_more(before, after, more, reason):
    reports = check_noop(INIT_LOOP_THREAD.format(before=before, after=after, more=more))
    assert any(reason in r for r in reports), reports


def test_emptying_the_shared_map_stops_its_servers():
    outcome = run(
        CLASS
        + """
    server = Sink(("127.0.0.1", 0), None)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
    thread.start()
    input()
    asyncore.socket_map.clear()
    thread.join(5)
    """
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "input()\nserver_controller.stop()\nthread.join(5)\n" in outcome.source
    assert "BoundController(server, " in outcome.source  # stop() safe at any time
    assert any(r.message == CLEARED_MAP and r.line == 16 for r in outcome.reports)


def test_noop_emptying_a_map_no_server_is_on():
    reports = check_noop(
        CLASS
        + """
    own = {}
    server = Sink(("127.0.0.1", 0), None, map=own)
    asyncore.loop(map=own)
    asyncore.socket_map.clear()
    """
    )
    assert any("empties a map no server of this module is on" in r for r in reports)


@pytest.mark.parametrize(
    "loop, count",
    [
        ("asyncore.loop(timeout=1, count=100000)", "100000"),
        ("asyncore.loop(1, False, None, 5000)", "5000"),
        ("asyncore.loop(timeout=1, count=50)", None),  # the program's own limit
        ("asyncore.loop(timeout=1, count=PASSES)", None),
    ],
)
def test_blocking_loop_with_a_long_count_is_noted(loop, count):
    source = CLASS + f'\n    server = Sink(("127.0.0.1", 0), None)\n    {loop}\n'
    if count is None:
        reports = check_noop(source)
        assert any("is not a plain blocking loop statement (count=" in r for r in reports)
        return
    outcome = run(source)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "server_controller.start()\n"
        "# serves until interrupted, running process_message here as smtpd's loop did\n"
        "PROCESS_MESSAGE_EXECUTOR.serve()"
    ) in outcome.source
    assert any(r.message == counted_passes(count, "this") for r in outcome.reports)


def test_noop_close_all_of_the_shared_map_beside_a_private_one():
    """close_all() without map= closed the shared map's servers: none of this module's."""
    reports = check_noop(
        CLASS
        + """
    own = {}
    server = Sink(("127.0.0.1", 0), None, map=own)
    try:
        asyncore.loop(map=own)
    finally:
        asyncore.close_all()
    """
    )
    assert any("asyncore.close_all() does not pass map=own" in r for r in reports)


CLASS_FIXTURE = """
    class Case:
        @classmethod
        def setUpClass(cls):
            cls.server = Sink(("127.0.0.1", 0), None)
            cls.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
            cls.thread.start()

"""
TEAR_DOWN_CLASS = """
        @classmethod
        def tearDownClass(cls):
            cls.server.close()
            cls.thread.join(5)
"""
TEAR_DOWN = """
        def tearDown(self):
            self.server.close()
            self.thread.join(5)
"""


def test_server_kept_on_the_class_is_closed_by_its_classmethods():
    after = tail(CLASS_FIXTURE + TEAR_DOWN_CLASS)
    assert "        cls.server_controller = BoundController(cls.server, " in after
    assert "        cls.server_controller.stop()\n        cls.thread.join(5)\n" in after


def test_noop_server_kept_on_the_class_closed_through_an_instance():
    reports = check_noop(CLASS + CLASS_FIXTURE + TEAR_DOWN)
    assert any("self.server.close may be the server's" in r for r in reports), reports


OWNING_THREAD = """
    class Owner(threading.Thread):
        def __init__(self):
            threading.Thread.__init__(self)
            self.server = None

        def run(self):
            self.server = Sink(("127.0.0.1", 0), None)
            asyncore.loop(timeout=0.1)

        def stop(self):
            self.server.close()
            self.join(10)


    owner = Owner()
    owner.start()
    while owner.server is None:
        pass
    print(owner.server.socket.getsockname()[1])
    owner.stop()
    """


def test_server_made_in_a_threads_run_is_published_with_its_socket():
    """``owner.server is None`` polled on another thread: once set, it has its socket."""
    outcome = run(CLASS + OWNING_THREAD)
    assert [r for r in outcome.reports if not r.note] == []
    made = outcome.source.index("        server = Sink()\n")
    bound = outcome.source.index("        server.socket = self.server_controller.socket")
    published = outcome.source.index(
        "        self.server = server  # published with its socket, as smtpd's server was\n"
    )
    assert made < bound < published
    assert "while owner.server is None:\n" in outcome.source
    assert "        self.server_controller.stop()\n" in outcome.source


TARGET_FUNCTION = """
    class Mock:
        def __init__(self):
            self.server = None

        def start(self):
            def serve():
                self.server = Sink(("127.0.0.1", 0), None)
                asyncore.loop(timeout=0.1)

            threading.Thread(target=serve, daemon=True).start()
            while self.server is None:
                pass


    mock = Mock()
    mock.start()
    print(mock.server.socket.getsockname()[1])
    """


def test_server_made_in_a_threads_target_function_is_published_with_its_socket():
    """The same wait, the server made in the function given as ``target=`` (a closure
    here, with other keywords after it): published once it has its socket."""
    outcome = run(CLASS + TARGET_FUNCTION)
    assert [r for r in outcome.reports if not r.note] == []
    bound = outcome.source.index("            server.socket = self.server_controller.socket")
    published = outcome.source.index(
        "            self.server = server  # published with its socket, as smtpd's server was\n"
    )
    assert bound < published


def test_a_run_method_using_the_local_name_publishes_in_place():
    """run() has a ``server`` of its own: the handler is assigned where smtpd's server was."""
    source = CLASS + OWNING_THREAD.replace(
        "            asyncore.loop(timeout=0.1)",
        "            server = None\n            asyncore.loop(timeout=0.1)",
    )
    outcome = run(source)
    assert "published with its socket" not in outcome.source


def test_noop_owner_handing_the_server_itself_on():
    source = CLASS + OWNING_THREAD.replace(
        "    while owner.server is None:",
        "    keep = owner.server\n    while owner.server is None:",
    )
    reports = check_noop(source)
    assert any("owner.server hands the server on here" in r for r in reports), reports


def test_a_loop_method_started_after_the_creation_in_the_same_method_serves_it():
    source = """
class Receiver:
    def start(self):
        self.smtp = Sink(("127.0.0.1", 0), None)
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        asyncore.loop(timeout=0.1)

    def stop(self):
        self.smtp.close()
        self.thread.join(10)


receiver = Receiver()
receiver.start()
receiver.stop()
"""
    after = converted_flat(SINK + source)
    assert "    def loop(self):\n        self.smtp_controller.start()\n" in after
    assert "        self.smtp_controller.stop()\n" in after


def test_noop_loop_method_started_before_the_creation():
    source = """
class Receiver:
    def start(self):
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()
        self.smtp = Sink(("127.0.0.1", 0), None)

    def loop(self):
        asyncore.loop(timeout=0.1)

    def stop(self):
        self.smtp.close()
        self.thread.join(10)


receiver = Receiver()
receiver.start()
receiver.stop()
"""
    reports = check_noop(FLAT_IMPORTS + SINK + source)
    assert any("does not follow the creation of a server" in r for r in reports), reports


SINK = """
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass

"""


def test_init_reading_its_socket_after_the_base_call_binds_its_controller_there():
    outcome = run("""
        import asyncore
        import smtpd
        import threading


        class Sink(smtpd.SMTPServer):
            def __init__(self):
                super().__init__(("127.0.0.1", 0), None)
                self.port = self.socket.getsockname()[1]

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink()
        threading.Thread(target=asyncore.loop, daemon=True).start()
        print(server.port)
        server.close()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        self.controller = BoundController(self, self._localaddr, enable_SMTPUTF8=False)\n"
        "        self.socket = self.controller.socket  # bound, as smtpd.SMTPServer's was\n"
        "        self.port = self.socket.getsockname()[1]\n"
    ) in outcome.source
    assert "args=(server.controller,)" in outcome.source
    assert "server_controller" not in outcome.source


@pytest.mark.parametrize(
    "init",
    [
        # read before smtpd bound it
        "self.port = self.socket\n                super().__init__(('127.0.0.1', 0), None)",
        # read by a method __init__ calls
        "super().__init__(('127.0.0.1', 0), None)\n                self.note()",
    ],
)
def test_noop_init_reading_its_socket_elsewhere(init):
    reports = check_noop(f"""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self):
                {init}

            def note(self):
                print(self.socket)

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink()
        asyncore.loop()
    """)
    assert any("class Sink uses the dispatcher's socket" in r for r in reports), reports


# -- a local of the instance's name in another function -------------------------------

RELAY = """
    import asyncore
    import smtpd
    import smtplib


    class Relay(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            {forward}


    server = Relay(("127.0.0.1", 2525), None)
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "forward",
    [
        'server = smtplib.SMTP("127.0.0.1", 25)\n'
        "            server.sendmail(mailfrom, rcpttos, data)\n"
        "            server.quit()",
        'with smtplib.SMTP("127.0.0.1", 25) as server:\n'
        "                server.sendmail(mailfrom, rcpttos, data)",
    ],
)
def test_a_client_named_like_the_server_is_another_object(forward):
    """heldout6/cloak_service_before_init: a method's own ``server = smtplib.SMTP(...)``
    was taken for the module's server (its sendmail "used outside the function")."""
    outcome = run(RELAY.format(forward=forward))
    assert [r for r in outcome.reports if not r.note] == []
    assert "server.sendmail(mailfrom, rcpttos, data)" in outcome.source
    assert "server_controller = LongLinesController(\n    server," in outcome.source


@pytest.mark.parametrize(
    "made",
    [
        "find_server()",  # a function of the module's own may return the instance
        "self.server",
        "Relay(('127.0.0.1', 2526), None)",
    ],
)
def test_noop_a_local_that_may_be_a_server(made):
    forward = f"server = {made}\n            server.close()"
    source = RELAY.format(forward=forward).replace(
        "\n\n    server = Relay",
        "\n\n    def find_server():\n        return server\n\n\n    server = Relay",
    )
    reports = check_noop(source)
    assert any("server.close is used outside the function that creates" in r for r in reports)


OBJECT_METHOD_TARGET = """
    class Mock:
        def start(self):
            self.server = Sink(("127.0.0.1", 0), None)
            asyncore.loop()

        def stop(self):
            self.server.close()


    mock = Mock()
    threading.Thread(target=mock.start, daemon=True).start()
    while not hasattr(mock, "server"):
        pass
    print(mock.server.socket.getsockname()[1])
    mock.stop()
    """


def test_server_made_in_a_method_of_another_object_given_as_target_is_published():
    """heldout7/mender_condition_utf8: ``Thread(target=fixture.start)``, the fixture
    waiting for ``fixture.server``: it read the socket before the handler had one."""
    outcome = run(CLASS + OBJECT_METHOD_TARGET)
    assert [r for r in outcome.reports if not r.note] == []
    bound = outcome.source.index("        server.socket = self.server_controller.socket")
    published = outcome.source.index(
        "        self.server = server  # published with its socket, as smtpd's server was\n"
    )
    assert bound < published


LATE_SERVER = """
    class ServerThread(threading.Thread):
        def __init__(self, port):
            threading.Thread.__init__(self, target=asyncore.loop, kwargs={"timeout": 1})
            self.server = Sink(("127.0.0.1", port), None)

        def stop(self):
            self.server.close()


    thread = ServerThread(0)
    thread.start()
    print(thread.server.socket.getsockname()[1])
    thread.stop()
    """


def test_a_loop_thread_made_before_its_server_reads_the_controller_when_it_runs():
    """heldout7/debugging_thread_target_kwargs: Thread.__init__(target=asyncore.loop)
    before ``self.server = ...``: ``args=(self.server_controller,)`` there raised
    AttributeError; smtpd's loop read the map only when the thread ran."""
    outcome = run(CLASS + LATE_SERVER)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        threading.Thread.__init__(\n"
        "            self, target=lambda: serve_until_stopped(self.server_controller, "
    ) in outcome.source or (
        "threading.Thread.__init__(self, target=lambda: serve_until_stopped(self.server_controller"
    ) in outcome.source
    assert "args=(self.server_controller" not in outcome.source


def test_a_note_beside_a_legacy_use_does_not_hide_it():
    """heldout7/mailrobot_loop_timeout: the map read in the class that makes the server
    went unreported, hidden by the note at the creation's line in the same class."""
    source = (
        CLASS
        + """
    class Factory:
        def start(self):
            Sink(("127.0.0.1", 0), None)
            print(len(asyncore.socket_map), "dispatchers")
            asyncore.loop()
    """
    )
    outcome = run(source)
    blockers = [r.message for r in outcome.reports if not r.note]
    assert any("asyncore.socket_map" in m and "still used here" in m for m in blockers)


MAP_READ = """
    class Factory:
        def start(self):
            Sink(("127.0.0.1", 0), None)
            {read}
            asyncore.loop()
    """


@pytest.mark.parametrize(
    "read, becomes",
    [
        (
            "for dispatcher in list(asyncore.socket_map.values()):\n"
            "                print(dispatcher.socket.getsockname()[1])",
            "for dispatcher in list([server_controller]):",
        ),
        (
            "sink = next(iter(asyncore.socket_map.values()))\n"
            "            print(sink.socket.getsockname()[1])",
            "sink = next(iter([server_controller]))",
        ),
    ],
)
def test_the_map_read_right_after_the_one_server_is_made_reads_its_controller(read, becomes):
    """heldout7/mailrobot_loop_timeout, heldout10/http_inbox_sink_daemon: the map held that
    server alone, so its socket is the bound controller's."""
    outcome = run(CLASS + MAP_READ.format(read=read))
    assert [r for r in outcome.reports if not r.note] == []
    assert "server_controller = BoundController(" in outcome.source
    assert becomes in outcome.source and "asyncore" not in outcome.source


@pytest.mark.parametrize(
    "read",
    [
        # the dispatcher is used for more than its socket
        "for dispatcher in list(asyncore.socket_map.values()):\n"
        "                dispatcher.close()",
        # not right after the server is made: something may have served (or made) by then
        "print('made')\n"
        "            sink = next(iter(asyncore.socket_map.values()))\n"
        "            print(sink.socket.getsockname()[1])",
    ],
)
def test_other_reads_of_the_map_stay_and_are_reported(read):
    outcome = run(CLASS + MAP_READ.format(read=read))
    reports = [r.message for r in outcome.reports if not r.note]
    assert "asyncore.socket_map.values is still used here" in reports, reports
    assert "asyncore.socket_map.values()" in outcome.source


CLOSURE_LOOP = """
def start_sink():
    {before}server = Sink(("127.0.0.1", 0), None)

    def run_server():
        {inner}asyncore.loop()

    {after}return server


def main():
    sink = start_sink()
    print(sink.socket.getsockname()[1])


main()
"""
STARTED = "thread = threading.Thread(target=run_server, daemon=True)\n    thread.start()\n    "


def test_a_loop_in_a_function_nested_in_the_creating_one_serves_it():
    """heldout8/mention_mail_test_script: ``def run_server(): asyncore.loop()`` inside the
    function that makes the server, started as a thread after the creation."""
    after = converted_flat(SINK + CLOSURE_LOOP.format(before="", after=STARTED, inner=""))
    assert (
        "    def run_server():\n        server_controller.start()\n"
        "        # serves until interrupted, running process_message here as smtpd's loop did\n"
        "        PROCESS_MESSAGE_EXECUTOR.serve()\n"
    ) in after
    assert "    server.socket = server_controller.socket" in after


@pytest.mark.parametrize(
    "before, after, inner",
    [
        (STARTED.replace("\n    thread.start()", ""), "thread.start()\n    ", ""),  # before
        ("", "", ""),  # never named: nothing runs it
        ("", STARTED, "server = None\n        "),  # the name is the nested function's own
    ],
)
def test_noop_nested_loop_named_before_the_creation_or_never(before, after, inner):
    source = CLOSURE_LOOP.format(before=before, after=after, inner=inner)
    reports = check_noop(FLAT_IMPORTS + SINK + source)
    assert any("does not follow the creation of a server" in r for r in reports), reports


@pytest.mark.parametrize(
    "binding",
    [
        "for robot in names:",
        "with open(names[0]) as robot:",
        "for _, (robot, *rest) in enumerate(names):",
        "if (robot := names[0]):",
    ],
)
def test_a_local_of_a_function_named_as_the_server_is_another_object(binding):
    """heldout10/mailrobot_template_kwargs: ``for robot in robots: f(robot)`` inside
    process_message was taken for the module's ``robot`` server passed on."""
    source = f"""
    import asyncore
    import smtpd


    def run_robot(name):
        print(name)


    class MailRobot(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            names = [r.split("@")[0] for r in rcpttos]
            {binding}
                run_robot(robot)


    robot = MailRobot(("127.0.0.1", 0), None)
    asyncore.loop()
    """
    outcome = run(source)
    assert [r.message for r in outcome.reports if not r.note] == []
    assert "run_robot(robot)" in outcome.source


def test_noop_the_server_itself_passed_on_from_a_function_is_still_reported():
    reports = check_noop(
        CLASS
        + """
    robot = Sink(("127.0.0.1", 0), None)


    def hand_over():
        keep(robot)


    asyncore.loop()
    """
    )
    assert any("robot is passed on here" in r for r in reports), reports


def test_noop_the_blockers_behind_a_blocked_class_are_reported_too():
    """heldout10/hg_dummysmtpd_handle_accept: the class's handle_error blocked it, and the
    loop served from another function was reported only once that was fixed."""
    reports = check_noop(
        """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def handle_error(self):
            pass


    def run():
        asyncore.loop()


    def main():
        Sink(("127.0.0.1", 0), None)
        run()
    """
    )
    assert [r.split(": ", 1)[1].split(" (see ")[0] for r in reports] == [
        "class Sink overrides the dispatcher's handle_error: a handler has no socket of its own"
        " (its Controller has)",
        "asyncore.loop() does not follow the creation of a server in the same block, nor"
        " reaches the one this module creates",
        "Sink(...) is served by an asyncore.loop() outside the block that creates it: the"
        " start-up cannot be rewritten with it",
    ]


# -- an unkept server served by a loop that cannot reach it: started where it is made ----
UNKEPT_IN_A_FUNCTION = """
    def start_sink(port):
        sink = Sink(("127.0.0.1", port), None)
        print(sink.socket.getsockname()[1])


    def main():
        start_sink(0)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            pass
    """


def test_an_unkept_server_made_by_a_function_the_loop_calls_first_starts_where_made():
    """heldout11/guarded_import_unkept_debugging: smtpd's map held the server for the loop
    in the caller; nothing else reaches it, so its controller starts where it is made."""
    outcome = run(CLASS + UNKEPT_IN_A_FUNCTION)
    assert [r for r in outcome.reports if not r.note] == []
    after = outcome.source.split('return reply or "250 OK"')[1]
    assert """
def start_sink(port):
    sink = Sink()
    sink_controller = BoundController(sink, ("127.0.0.1", port), enable_SMTPUTF8=False)
    sink_controller.start()  # served from here on: nothing else reaches it
    print(sink_controller.socket.getsockname()[1])


def main():
    start_sink(0)
    try:
        # serves until interrupted, running process_message here as smtpd's loop did
        PROCESS_MESSAGE_EXECUTOR.serve()
    except KeyboardInterrupt:
        pass
""" in after
    noted = [r for r in outcome.reports if r.note and "starts its controller here" in r.message]
    assert [(r.line, "asyncore.loop() at line 20 ran" in r.message) for r in noted] == [(13, True)]
    assert "makes none" not in noted[0].message


def test_servers_made_in_a_for_block_start_where_made_and_the_note_says_it_may_make_none():
    """heldout11/honeypot_subject_eml_ports: one server per port, one loop after the block."""
    outcome = run(CLASS + """
    def serve(ports):
        for port in ports:
            server = Sink(("127.0.0.1", port), None)
            print(server.socket.getsockname()[1])
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert """
    for port in ports:
        server = Sink()
        server_controller = BoundController(server, ("127.0.0.1", port), enable_SMTPUTF8=False)
        server_controller.start()  # served from here on: nothing else reaches it
        print(server_controller.socket.getsockname()[1])
    # serves until interrupted, running process_message here as smtpd's loop did
    PROCESS_MESSAGE_EXECUTOR.serve()
""" in outcome.source
    noted = [r.message for r in outcome.reports if r.note and "starts its controller" in r.message]
    assert len(noted) == 1 and "smtpd's loop returned at once (an empty map)" in noted[0]


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # the loop runs before the server exists: smtpd's returned at once
        ("        start_sink(0)\n        try:", "        try:", "does not follow the creation"),
        ("        print(sink.socket", "        keep(sink)\n        print(sink.socket", "keep"),
        ("        sink = Sink(", "        global sink\n        sink = Sink(", "global"),
        ("        print(sink.socket.getsockname()[1])", "        return sink", "return"),
        (
            "    def start_sink(port):\n        sink",
            "    def start_sink(port):\n        if port:\n            return\n        sink",
            "conditional creation in another function",
        ),
    ],
)
def test_noop_a_server_something_keeps_or_made_after_the_loop_stays_reported(old, new, why):
    source = CLASS + UNKEPT_IN_A_FUNCTION.replace(old, new)
    assert source != CLASS + UNKEPT_IN_A_FUNCTION, why
    outcome = run(source)
    assert not any("starts its controller here" in r.message for r in outcome.reports), why
