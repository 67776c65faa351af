import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402

INTEGRATOR = ("integra", "integrator-pass-1")
OWNER = ("tienda", "owner-pass-123")


@pytest.fixture(scope="session")
def stack():
    s = Stack().start()
    s.add_user(*INTEGRATOR[:1], "integrator", INTEGRATOR[1])
    s.add_user(*OWNER[:1], "owner", OWNER[1])
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0, "daemon did not exit cleanly on SIGTERM"


@pytest.fixture
def integrator(stack):
    c = Client(stack.port)
    r = c.login(*INTEGRATOR)
    assert r.status == 303, r.body
    return c


@pytest.fixture
def owner(stack):
    c = Client(stack.port)
    r = c.login(*OWNER)
    assert r.status == 303, r.body
    return c
