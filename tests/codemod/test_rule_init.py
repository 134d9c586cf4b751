"""Rule init: __init__ overrides store smtpd's attributes instead of binding."""

from __future__ import annotations

import pytest
from before_after import check_noop, run, unwrapped  # noqa: E402

from smtpd_compat.codemod._build import expression
from smtpd_compat.codemod._versions import decided

TEMPLATE = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr, remoteaddr, queue):
            # the queue receives the messages
            {call}
            self.queue = queue

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.queue.append(data)


    server = Sink(("localhost", 0), None, [])
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "call",
    [
        "smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, data_size_limit=1024)",
        "super().__init__(localaddr, remoteaddr, data_size_limit=1024)",
        "super(Sink, self).__init__(localaddr, remoteaddr, 1024)",
    ],
)
def test_base_init_becomes_attributes(call):
    outcome = run(TEMPLATE.format(call=call))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        """\
    def __init__(self, localaddr, remoteaddr, queue):
        # the queue receives the messages
        self._localaddr = localaddr
        self._remoteaddr = remoteaddr
        self.data_size_limit = 1024
        self.queue = queue
"""
        in outcome.source
    )
    assert (
        'server = Sink(("localhost", 0), None, [])\n'
        "server_controller = BoundController(server, server._localaddr, "
        "data_size_limit=server.data_size_limit, enable_SMTPUTF8=False)\n"
    ) in unwrapped(outcome.source)


def test_noop_star_args_forwarding():
    reports = check_noop(TEMPLATE.format(call="smtpd.SMTPServer.__init__(self, *args)"))
    assert any("cannot be read statically" in r for r in reports)


def test_computed_decode_data_is_stored_for_handle_data():
    call = "super().__init__(localaddr, remoteaddr, decode_data=queue is None)"
    outcome = run(TEMPLATE.format(call=call))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        self._decode_data = queue is None\n" in outcome.source
    assert "            if self._decode_data:\n" in outcome.source  # decided per message


def test_noop_missing_base_call():
    reports = check_noop(TEMPLATE.format(call="pass"))
    assert any("does not call the base __init__ exactly once" in r for r in reports)


def test_star_args_forwarding_binds_the_arguments_as_smtpd_did():
    outcome = run("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.received = []

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                self.received.append(data)


        server = Sink(("localhost", 0), None, data_size_limit=1024)
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert "def smtpd_server_attributes(\n" in outcome.source
    assert "        smtpd_server_attributes(self, *args, **kwargs)\n" in outcome.source
    assert 'server = Sink(("localhost", 0), None, data_size_limit=1024)\n' in outcome.source
    assert (
        "server_controller = BoundController(server, server._localaddr, "
        "data_size_limit=1024, enable_SMTPUTF8=False)"
    ) in unwrapped(outcome.source)


def test_noop_star_args_that_change_on_the_way():
    reports = check_noop("""
        import asyncore
        import smtpd


        class Sink(smtpd.SMTPServer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args[1:], **kwargs)

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = Sink("x", ("localhost", 0), None)
        asyncore.loop()
    """)
    assert any("cannot be read statically" in r for r in reports)


SELF_IN_ARGS = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(*args, **kwargs):
            print("starting")
            smtpd.SMTPServer.__init__(*args, **kwargs)

        def process_message(*args, **kwargs):
            pass


    server = Sink({args})
    asyncore.loop()
"""


def test_self_inside_star_args_is_read_at_the_instance():
    outcome = run(SELF_IN_ARGS.format(args='("localhost", 0), None, 1024'))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        smtpd_server_attributes(*args, **kwargs)\n" in outcome.source
    assert '    def __init__(*args, **kwargs):\n        print("starting")\n' in outcome.source
    assert (
        "server_controller = BoundController(server, server._localaddr, "
        "data_size_limit=1024, enable_SMTPUTF8=False)"
    ) in unwrapped(outcome.source)


def test_self_inside_star_args_with_a_computed_decode_data():
    outcome = run(SELF_IN_ARGS.format(args='("localhost", 0), None, decode_data=DECODE'))
    assert [r for r in outcome.reports if not r.note] == []
    assert "            if self._decode_data:\n" in outcome.source  # decided per message


def test_noop_self_inside_star_args_through_super():
    source = SELF_IN_ARGS.format(args='("localhost", 0), None').replace(
        "smtpd.SMTPServer.__init__(*args, **kwargs)", "super().__init__(*args, **kwargs)"
    )
    reports = check_noop(source)
    assert any("cannot be read statically" in r for r in reports)


OWN_FIRST = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, store, localaddr, *args, decode_data=False, **kwargs):
            self.store = store
            {call}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.store.append(data)


    server = Sink([], {args})
    asyncore.loop()
"""


@pytest.mark.parametrize(
    "args, decodes",
    [
        ('("localhost", 0), None', False),
        ('("localhost", 0), None, decode_data=True', True),
        ('localaddr=("localhost", 0), remoteaddr=None, data_size_limit=99', False),
    ],
)
def test_parameters_passed_on_by_name_are_followed(args, decodes):
    call = "super().__init__(localaddr, *args, decode_data=decode_data, **kwargs)"
    outcome = run(OWN_FIRST.format(call=call, args=args))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        smtpd_server_attributes(self, localaddr, *args, decode_data=decode_data, **kwargs)"
    ) in outcome.source
    assert ('data = data.decode("utf-8")' in outcome.source) is decodes
    source = unwrapped(outcome.source)
    controller = next(x for x in source.splitlines() if "= BoundController(" in x)
    assert "decode_data=True" not in controller  # the handler decodes (aiosmtpd: strict ASCII)
    assert ("data_size_limit=99" in controller) is ("99" in args)


@pytest.mark.parametrize(
    "call",
    [
        # a parameter changed before it is passed on
        "localaddr = ('localhost', 25)\n            super().__init__(localaddr, *args, **kwargs)",
        # a value computed from a parameter
        "super().__init__(localaddr, *args, decode_data=not decode_data, **kwargs)",
        # the star-arguments are not the parameters'
        "super().__init__(localaddr, *self.extra)",
    ],
)
def test_noop_forwarding_that_cannot_be_followed(call):
    reports = check_noop(OWN_FIRST.format(call=call, args='("localhost", 0), None'))
    assert any("cannot be read statically" in r for r in reports)


def test_noop_forwarded_private_map():
    call = "super().__init__(localaddr, *args, **kwargs)"
    reports = check_noop(OWN_FIRST.format(call=call, args='("localhost", 0), None, map={}'))
    assert any("cannot be read statically" in r for r in reports)


POPPED_SETTINGS = """
    import asyncore
    import smtpd


    class Store(smtpd.SMTPServer):
        def __init__(self, *args, **kwargs):
            self.rows = kwargs["rows"]
            self.ttl = kwargs.get("ttl", 60)
            {removals}
            smtpd.SMTPServer.__init__(self, *args, **kwargs)
            self.extra = kwargs.pop("extra", None)
            self.journal = Journal(kwargs=None)  # a keyword of that name: no use of the dict

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.rows.append(data)


    server = Store(("localhost", 0), None, rows=[], ttl=5, decode_data=True)
    asyncore.loop()
"""


POPPED = 'kwargs.pop("rows")\n            kwargs.pop("ttl", None)\n            '


@pytest.mark.parametrize(
    "removals",
    [
        'kwargs.pop("rows")\n            kwargs.pop("ttl", None)',
        'del kwargs["rows"]\n            self.ttl = kwargs.pop("ttl", 60)',
        'kwargs.pop("rows")\n            if "ttl" in kwargs:\n                del kwargs["ttl"]',
        POPPED + 'if "decode_data" not in kwargs:\n                kwargs["decode_data"] = False',
    ],
)
def test_keywords_popped_before_the_base_call_are_not_smtpds(removals):
    outcome = run(POPPED_SETTINGS.format(removals=removals))
    assert [r for r in outcome.reports if not r.note] == []
    assert "        smtpd_server_attributes(self, *args, **kwargs)\n" in outcome.source
    assert removals.split("\n")[0] in outcome.source  # __init__ still takes them out itself
    assert 'data = data.decode("utf-8")' in outcome.source  # decode_data=True reached smtpd
    controller = "BoundController(server, server._localaddr, enable_SMTPUTF8=False)"
    assert f"server_controller = {controller}" in unwrapped(outcome.source)


GUARDED_DEFAULT = (
    'if "decode_data" not in kwargs:\n                    kwargs["decode_data"] = True'
)


@pytest.mark.parametrize(
    "changes, instance, decodes",
    [
        ('kwargs.setdefault("decode_data", True)', 'Sink(("localhost", 0), None)', True),
        ('kwargs.setdefault("decode_data", True)', "Sink(ADDR, None, decode_data=False)", False),
        ('kwargs["decode_data"] = True', "Sink(ADDR, None, decode_data=False)", True),
        (
            'kwargs["decode_data"] = True\n                kwargs.pop("decode_data")',
            "Sink(ADDR, None)",
            False,
        ),
        (GUARDED_DEFAULT, "Sink(ADDR, None)", True),  # a setdefault spelled out
        (GUARDED_DEFAULT, "Sink(ADDR, None, decode_data=False)", False),
    ],
)
def test_smtpds_options_set_in_kwargs_before_the_base_call(changes, instance, decodes):
    outcome = run(f"""
        import asyncore
        import smtpd

        ADDR = ("localhost", 0)


        class Sink(smtpd.SMTPServer):
            def __init__(self, *args, **kwargs):
                {changes}
                super().__init__(*args, **kwargs)

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                pass


        server = {instance}
        asyncore.loop()
    """)
    assert [r for r in outcome.reports if not r.note] == []
    assert ('data = data.decode("utf-8")' in outcome.source) is decodes


@pytest.mark.parametrize(
    "removals",
    [
        'kwargs.setdefault("decode_data", DECODE)',  # not a literal
        POPPED + 'if "decode_data" not in kwargs:\n                kwargs["decode_data"] = DECODE',
        # the guard's own key is not the one set:
        POPPED + 'if "decode_data" not in kwargs:\n                kwargs["map"] = None',
        POPPED + 'if "decode_data" not in kwargs:\n                kwargs["decode_data"] = False\n'
        '                kwargs["map"] = None',
        'kwargs.pop("rows")',  # ttl= still reaches smtpd, which takes no such keyword
        'kwargs.pop("rows")\n            kwargs["ttl"] = None',
        'kwargs.pop("rows")\n            kwargs.update(ttl=None)',
        'kwargs.pop("rows")\n            if kwargs["ttl"]:\n                kwargs.pop("ttl")',
        'kwargs.pop("rows")\n            if "ttl" in kwargs:\n                kwargs.pop("rows")',
        'kwargs.pop("rows")\n            if "ttl" in kwargs:\n                kwargs.pop("ttl")\n'
        "            else:\n                kwargs.clear()",
        'kwargs.pop("rows")\n            strip(kwargs)',
        "kwargs = {}",
    ],
)
def test_noop_keywords_changed_otherwise(removals):
    reports = check_noop(POPPED_SETTINGS.format(removals=removals))
    assert any("cannot be read statically" in r for r in reports)


VERSIONED = """
    import asyncore
    import smtpd
    import sys


    class Sink(smtpd.SMTPServer):
        def __init__(self, localaddr):
            if {test}:
                # bodies as str where the option exists
                super().__init__(localaddr, None, decode_data=True)
            else:
                smtpd.SMTPServer.__init__(self, localaddr, None)
            self.count = 0

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            self.count += 1


    server = Sink(("localhost", 0))
    asyncore.loop()
"""


@pytest.mark.parametrize(
    ("test", "live"),
    [
        ("sys.version_info >= (3, 5)", "if"),
        ("sys.version_info[0] == 3 and sys.version_info[1] > 4", "if"),
        ("sys.version_info.major < 3", "else"),
        ("not sys.version_info[:2] >= (3, 5)", "else"),
        ("sys.version_info[1] == 6", "else"),
    ],
)
def test_base_init_in_a_version_check_becomes_the_branch_every_target_takes(test, live):
    outcome = run(VERSIONED.format(test=test))
    assert [r for r in outcome.reports if not r.note] == []
    kept = (
        "        # bodies as str where the option exists\n"
        "        self._localaddr = localaddr\n"
        "        self._remoteaddr = None\n"
        "        self._decode_data = True\n"
        if live == "if"
        else "        self._localaddr = localaddr\n        self._remoteaddr = None\n"
    )
    assert f"    def __init__(self, localaddr):\n{kept}        self.count = 0\n" in outcome.source
    assert "version_info" not in outcome.source
    assert "import sys" not in outcome.source  # only the check used it


@pytest.mark.parametrize(
    "test",
    [
        "sys.version_info >= (3, 10)",  # True on some target Pythons, False on others
        "sys.platform == 'win32'",
        "DEBUG",
        "sys.version_info >= (3, 5) and localaddr",
    ],
)
def test_noop_base_init_in_a_check_not_decided_on_every_target(test):
    reports = check_noop(VERSIONED.format(test=test))
    assert any("exactly once at its top level" in r for r in reports)


@pytest.mark.parametrize(
    ("test", "value"),
    [
        ("sys.version_info >= (3, 5)", True),
        ("(3, 0) <= sys.version_info < (3, 5)", False),  # chained, as Python chains it
        ("sys.version_info.minor != 6", True),
        ("sys.version_info[:2] == (3, 6) or sys.version_info[0] == 2", False),
        ("not (sys.version_info[0] == 3 and sys.version_info[1] > 4)", False),
        ("sys.version_info >= (3, 10)", None),  # differs between the target Pythons
        ("sys.version_info < (3, 14)", None),  # a later Python answers otherwise
        ("sys.version_info[3] == 0", None),  # beyond (major, minor, micro)
        ("sys.version_info[0] >= (3,)", None),  # an int ordered against a tuple
        ("(3, 8) >= (3, 5)", None),  # reads no version
    ],
)
def test_a_version_check_is_decided_only_where_every_target_agrees(test, value):
    assert decided(expression(test)) is value


DEFERRED = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self):
            {init}

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def start(self):
            smtpd.SMTPServer.__init__(self, ("127.0.0.1", 0), None)
            print(self.socket.getsockname()[1])
            asyncore.loop()
        {more}

    server = Sink()
    server.start()
"""


def test_base_init_in_another_method_binds_the_controller_there():
    """``__init__`` does nothing, start() binds: the controller is made where smtpd bound."""
    outcome = run(DEFERRED.format(init="pass", more=""))
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "    def start(self):\n"
        '        self._localaddr = ("127.0.0.1", 0)\n'
        "        self._remoteaddr = None\n"
        "        self.controller = BoundController(self, self._localaddr, enable_SMTPUTF8=False)\n"
        "        self.socket = self.controller.socket  # bound, as smtpd.SMTPServer's was\n"
        "        print(self.socket.getsockname()[1])\n"
        "        self.controller.start()\n"
    ) in outcome.source
    assert "server = Sink()\nserver.start()\n" in outcome.source
    assert "server_controller" not in outcome.source


@pytest.mark.parametrize(
    "init, more",
    [
        ("self.port = self.socket", ""),  # reads what only the base call sets
        (
            "pass",
            "\n        def restart(self):\n"
            "            smtpd.SMTPServer.__init__(self, ('127.0.0.1', 0), None)\n",
        ),  # two methods bind
    ],
)
def test_noop_base_init_elsewhere_in_another_shape(init, more):
    reports = check_noop(DEFERRED.format(init=init, more=more))
    expected = "Sink.__init__ does not call the base __init__ exactly once at its top level"
    assert any(expected in r for r in reports), reports


ADDRESS = """
    import asyncore
    import smtpd


    class Sink(smtpd.SMTPServer):
        def __init__(self, host="localhost", port=0):
            smtpd.SMTPServer.__init__(self, (host, port), None)
            if self._localaddr[1] == 0:
                self.addr = self.socket.getsockname()

        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            pass

        def __repr__(self):
            return "<Sink %s:%s>" % self.addr


    server = Sink("127.0.0.1", 2525)
    print(server.addr[1])
    asyncore.loop()
"""


def test_the_dispatchers_addr_is_the_address_smtpd_was_given():
    """pytest-localserver's shape: ``self.addr`` (asyncore's bind() set it to the address
    given), replaced by the real one for port 0. It was a blocker ("the dispatcher's addr")."""
    outcome = run(ADDRESS)
    assert [r for r in outcome.reports if not r.note] == []
    assert (
        "        self._localaddr = (host, port)\n"
        "        self._remoteaddr = None\n"
        "        self.addr = self._localaddr  # as asyncore's bind() set it\n"
    ) in outcome.source
    assert "            self.addr = self.socket.getsockname()\n" in outcome.source
    assert "print(server.addr[1])" in outcome.source


def test_no_addr_is_stored_where_nothing_reads_it():
    outcome = run(
        ADDRESS.replace("% self.addr", "% self._localaddr")
        .replace("print(server.addr[1])", "print(server._localaddr[1])")
        .replace("                self.addr = self.socket.getsockname()", "                pass")
    )
    assert [r for r in outcome.reports if not r.note] == []
    assert "self.addr" not in outcome.source
