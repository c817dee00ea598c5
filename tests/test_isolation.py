"""The isolation layers: probed at start-up, reported, switchable, enforced by --strict."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.extract import FunctionInfo, Program, Unit
from grader.sandbox import Limits, Zygote
from grader.sandbox.isolation import LAYERS, read_probe
from grader.sandbox.seccomp import DENIED, build_filter
from grader.session import SandboxSubmission

linux_root = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="the full set needs Linux and root"
)


def one_function(source: str) -> Program:
    unit = Unit("def", ("f",), source, 1, 1)
    return Program((unit,), {"f": FunctionInfo("f", 1, 1, False, False)})


@linux_root
def test_every_layer_is_active_on_this_kind_of_machine() -> None:
    with Zygote([], strict=True) as z:
        assert z.isolation == dict.fromkeys(LAYERS, True)
        assert z.isolation_warnings == []


@linux_root
def test_a_disabled_layer_is_reported_and_refused_by_strict() -> None:
    with Zygote([], disable=["network"]) as z:
        assert z.isolation["network"] is False and z.isolation["filesystem"] is True
        assert z.isolation_warnings == [
            "network isolation unavailable: disabled; student code can open sockets"
        ]
    with pytest.raises(SandboxError, match="network isolation unavailable"):
        Zygote([], disable=["network"], strict=True)


@linux_root
def test_the_network_namespace_alone_blocks_connections() -> None:
    # With seccomp and Landlock (which also refuses TCP) off, sockets can be created and
    # connected, but the namespace has no route anywhere.
    src = (
        "def f():\n    import socket\n    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
        "    except OSError as exc:\n        return exc.errno\n    return 'connected'"
    )
    with Zygote([], disable=["seccomp", "filesystem"]) as z:
        assert z.isolation["seccomp"] is False and z.isolation["uid_dropped"] is False
        assert any(w.startswith("seccomp isolation unavailable") for w in z.isolation_warnings)
        sub = SandboxSubmission(z, one_function(src), Limits(call_timeout_s=2))
        sub.start()
        try:
            assert sub.call("f", (), {}) == errno.ENETUNREACH
        finally:
            sub.close()


def test_seccomp_filter_is_built_for_known_architectures_only() -> None:
    for machine in ("x86_64", "aarch64"):
        program = build_filter(machine)
        assert program is not None and len(program) % 8 == 0
        assert len(program) // 8 > 2 * len(DENIED)
    assert build_filter("riscv64") is None


def test_a_silent_probe_reports_every_layer_missing() -> None:
    report, warnings = read_probe({"ready": True, "error": "probe crashed"})
    assert report == dict.fromkeys(LAYERS, False)
    assert len(warnings) == len(LAYERS)
    assert warnings[0].startswith("process-group isolation unavailable: probe crashed; ")


@linux_root
def test_a_private_path_inside_a_read_path_is_carved_out_or_reported() -> None:
    # A private file inside a folder children read (site-packages) is carved out of the
    # Landlock rules: unreadable while its siblings stay readable. A private folder that is
    # itself a read path cannot be: the file-system layer is reported missing.
    import numpy

    package = Path(numpy.__file__).parent
    hidden, sibling = package / "version.py", package / "__init__.py"
    src = (
        "def f(paths):\n    out = []\n    for p in paths:\n        try:\n"
        "            open(p).read(1)\n            out.append('read')\n"
        "        except OSError as exc:\n            out.append(type(exc).__name__)\n"
        "    return out"
    )
    with Zygote([], private=[hidden]) as z:
        assert z.isolation["filesystem"] is True
        sub = SandboxSubmission(z, one_function(src), Limits(call_timeout_s=10))
        sub.start()
        try:
            assert sub.call("f", ([str(hidden), str(sibling)],), {}) == ["PermissionError", "read"]
        finally:
            sub.close()
    with Zygote([], private=[package.parent]) as z:
        assert z.isolation["filesystem"] is False
        assert any("file-system isolation unavailable: readable path" in w
                   for w in z.isolation_warnings)
    with pytest.raises(SandboxError, match="file-system isolation unavailable"):
        Zygote([], private=[package.parent], strict=True)
