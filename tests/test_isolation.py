"""The isolation layers: probed at start-up, reported, switchable, enforced by --strict."""

from __future__ import annotations

import errno
import os
import signal
import sys
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.extract import FunctionInfo, Program, Unit
from grader.sandbox import Limits, Zygote
from grader.sandbox.isolation import LAYERS, read_probe
from grader.sandbox.memcg import MemoryCgroups
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
def test_namespace_and_cgroup_layers_degrade_with_a_reason() -> None:
    layers = ["ipc_namespace", "private_mounts", "memory_cgroup"]
    with Zygote([], disable=layers) as z:
        assert [z.isolation[name] for name in layers] == [False, False, False]
        assert z.isolation["filesystem"] is True and z._cgroup == ""
        text = "\n".join(z.isolation_warnings)
        assert "IPC namespace isolation unavailable: disabled; System V shared memory" in text
        assert "private-mount isolation unavailable: disabled; the working directory" in text
        assert "memory-cgroup isolation unavailable: disabled; memory held outside" in text
        sub = SandboxSubmission(z, one_function("def f():\n    return 4"), Limits())
        sub.start()
        try:
            assert sub.call("f", (), {}) == 4  # grading goes on without them
        finally:
            sub.close()
    with pytest.raises(SandboxError, match="memory-cgroup isolation unavailable"):
        Zygote([], disable=["memory_cgroup"], strict=True)


def _fake_cgroupfs(tmp_path: Path, controllers: str) -> tuple[str, str]:
    """A v2 mount (with ``controllers`` enabled) and a v1 memory mount, as /proc would say."""
    for name in ("unified/grader.slice", "memory/grader.slice"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "unified/grader.slice/cgroup.controllers").write_text(controllers)
    (tmp_path / "unified/grader.slice/cgroup.subtree_control").write_text("")
    mountinfo = (
        f"30 25 0:26 / {tmp_path}/unified rw - cgroup2 cgroup2 rw\n"
        f"31 25 0:27 / {tmp_path}/memory rw - cgroup cgroup rw,memory\n"
    )
    return mountinfo, "4:memory:/grader.slice\n0::/grader.slice\n"


def test_memory_cgroups_fall_back_to_v1_and_remove_stale_groups(tmp_path: Path) -> None:
    mountinfo, own = _fake_cgroupfs(tmp_path, "cpu io")
    stale = tmp_path / "memory/grader.slice/grader-999999999"  # no such pid
    (stale / "c7").mkdir(parents=True)
    groups, why = MemoryCgroups.setup(1234, mountinfo, own)
    assert groups is not None and why == "" and groups.version == 1
    assert groups.group == str(tmp_path / "memory/grader.slice/grader-1234")
    assert not stale.exists()
    path, error = groups.create()
    assert error == "" and groups.set_limit(path, 3 * 2**20) == ""
    assert (Path(path) / "memory.limit_in_bytes").read_text() == str(3 * 2**20)


def test_memory_cgroups_say_why_v2_cannot_be_used(tmp_path: Path) -> None:
    mountinfo, own = _fake_cgroupfs(tmp_path, "cpu io")
    v2_only = mountinfo.splitlines()[0]
    groups, why = MemoryCgroups.setup(1234, v2_only, own)
    assert groups is None
    where = tmp_path / "unified/grader.slice"
    assert why == f"cgroup v2: the memory controller is not available in {where}"
    _, why = MemoryCgroups.setup(1234, "", "")
    assert why == "no cgroup hierarchy with the memory controller is mounted"


@linux_root
def test_memory_cgroups_are_removed_even_after_the_zygote_is_killed() -> None:
    with Zygote([]) as z:
        if not z.isolation["memory_cgroup"]:
            pytest.skip("no usable memory cgroup here")
        group = Path(z._cgroup)
        assert group.is_dir() and group.name.startswith("grader-")
        sub = SandboxSubmission(z, one_function("def f():\n    return 1"), Limits())
        sub.start()
        assert len([p for p in group.iterdir() if p.is_dir()]) == 2  # the child's, the next
        assert z._proc is not None
        os.kill(z._proc.pid, signal.SIGKILL)
        sub.close()
    assert not group.exists()
    # A group whose grader died without any clean-up is removed by the next one to start.
    stale = group.parent / "grader-999999999"
    (stale / "c1").mkdir(parents=True)
    with Zygote([]):
        assert not stale.exists()


def test_memory_cgroups_prefer_v2_when_it_can_delegate_memory(tmp_path: Path) -> None:
    mountinfo, own = _fake_cgroupfs(tmp_path, "cpu memory io")
    groups, why = MemoryCgroups.setup(1234, mountinfo, own)
    assert groups is not None and why == "" and groups.version == 2
    parent = tmp_path / "unified/grader.slice"
    assert (parent / "cgroup.subtree_control").read_text() == "+memory"
    assert (parent / "grader-1234/cgroup.subtree_control").read_text() == "+memory"
    path, _ = groups.create()
    assert groups.set_limit(path, 5 * 2**20) == ""
    assert (Path(path) / "memory.max").read_text() == str(5 * 2**20)
