"""The grader's secret folders (the reference, the recorded answers) hidden from a grading worker
by the kernel, where the machine lets an ordinary user make namespaces (as bubblewrap does).

Why: the audit hook (containment.py) sees what Python opens, not what native code opens;
`torch.from_file`, `torch._C.PyTorchFileReader` and any op that takes a path read files without
an audit event. Here the folders are covered, for this worker only, by empty read-only mounts:

1. a user and mount namespace (the same user id inside), an empty read-only tmpfs over each
   folder;
2. a second user namespace, which locks those mounts (they cannot be unmounted from inside), and
   a PID namespace with its own /proc, so /proc/<pid>/root of another process of the same user
   does not lead back to the real folders;
3. the worker (the caller) becomes a relay: it starts the namespace's PID 1 (a `sleep`) and the
   process that runs the checks, waits for the latter and ends the way it ended (its exit status,
   or its signal), so the grading process sees no difference.

The caller's memory is unchanged: whatever the worker needs from those folders is read before
(containment.keep_secrets). Where a step is refused (macOS, a container without user namespaces,
Ubuntu's AppArmor restriction on unprivileged namespaces), `hide` says why and nothing is
hidden: the audit hook alone stands, and native readers are not contained.
"""
from __future__ import annotations

import faulthandler
import functools
import os
import shutil
import signal
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

# Taken before any submission code can replace them.
_fork, _exit, _waitpid, _getpid, _kill = os.fork, os._exit, os.waitpid, os.getpid, os.kill


class Refused(OSError):
    """A step the machine does not allow; its text says which."""


def _libc():
    import ctypes

    return ctypes, ctypes.CDLL(None, use_errno=True)


def _call(libc, ctypes, what: str, result: int) -> None:
    if result != 0:
        raise Refused(f"{what}: {os.strerror(ctypes.get_errno())}")


def _same_ids(uid: int, gid: int) -> None:
    """Map this user (and group) to itself in the user namespace just made."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
        except OSError as exc:
            if name != "setgroups":  # kernels before 3.19 have no setgroups file
                raise Refused(f"{name}: {exc.strerror}") from None


def _cover(libc, ctypes, folders) -> None:
    _call(libc, ctypes, "private mounts", libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None))
    for folder in folders:
        _call(libc, ctypes, f"cover {folder}",
              libc.mount(b"tocha", os.fsencode(folder), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         b"size=4k,mode=0555"))


def _sysctl(name: str) -> str | None:
    try:
        with open(f"/proc/sys/{name}") as file:
            return file.read().strip()
    except OSError:
        return None


def available() -> str | None:
    """None where this machine should let a worker hide folders, else why not, from its settings
    (without trying: `probe` tries). The settings that let a user namespace be made but refuse
    mapping a user in it (Ubuntu's AppArmor restriction) are caught here, so that no worker is
    left half-way."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if not os.path.exists("/proc/self/ns/user"):
        return "the kernel has no user namespaces"
    if _sysctl("user/max_user_namespaces") == "0":
        return "user namespaces are off (user.max_user_namespaces = 0)"
    if os.geteuid() != 0:
        if _sysctl("kernel/unprivileged_userns_clone") == "0":
            return "unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0)"
        if _sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1":
            return "AppArmor keeps ordinary users out of user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)"
    return None


@functools.lru_cache(maxsize=None)
def probe() -> str | None:
    """None where `hide` works on this machine, else why not: tried once, in a throwaway child
    process (the kit's tests ask; a worker goes by `available`, 70 ms cheaper a run)."""
    why = available()
    if why:
        return why
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        read, write = os.pipe()
        pid = _fork()
        if pid == 0:
            os.close(read)
            try:
                hidden, why = _hide_now([folder], ())
                os.write(write, b"" if hidden and why is None else (why or "not hidden").encode()[:500])
            finally:
                _exit(0)
        os.close(write)
        answer = b""
        while chunk := os.read(read, 4096):
            answer += chunk
        os.close(read)
        _waitpid(pid, 0)
    return answer.decode() or None


def hide(folders, close_fds=()) -> tuple[bool, str | None]:
    """Hide `folders` from this process: (hidden, what is not contained and why, or None).
    Must be called single-threaded (before torch starts its thread pool). Once they are hidden,
    the caller continues in a new process (the checks' process); the original one only relays
    how that process ended and never returns. `close_fds` are closed in the processes that only
    wait (a pipe the grading process reads to its end). Where nothing could be hidden, nothing
    changed either."""
    folders = sorted({os.path.realpath(f) for f in folders if os.path.isdir(f)})
    if not folders:
        return False, None
    why = available()
    if why:
        return False, why
    return _hide_now(folders, close_fds)


def _hide_now(folders, close_fds) -> tuple[bool, str | None]:
    try:
        ctypes, libc = _libc()
    except (ImportError, OSError) as exc:
        return False, f"no C library: {exc}"
    uid, gid = os.getuid(), os.getgid()
    try:
        _call(libc, ctypes, "user namespace", libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
    except Refused as exc:
        return False, str(exc)  # nothing changed
    try:
        _same_ids(uid, gid)
        _cover(libc, ctypes, folders)
        _call(libc, ctypes, "locking namespace", libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID))
        _same_ids(uid, gid)
    except Refused as exc:
        # In a namespace of our own with nothing hidden, or hidden but not locked: as good as
        # not hidden. The checks still run here, with the audit hook.
        return False, str(exc)
    # The next children of this process are in the new PID namespace: the first is its PID 1, a
    # process that only waits (PID 1 ignores the signals a submission may send itself, so the
    # checks must not run there); the second runs the checks.
    init = _start_init(close_fds)
    checks = _fork()
    if checks:
        _relay(checks, init, close_fds)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    shared_proc = None
    try:  # its own /proc, then one more user namespace, which locks that mount too
        _call(libc, ctypes, "own /proc", libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None))
        _call(libc, ctypes, "locking /proc", libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
        _same_ids(uid, gid)
    except Refused as exc:
        shared_proc = f"/proc still shows the machine's processes ({exc})"
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return True, shared_proc


def _start_init(close_fds) -> int:
    """PID 1 of the new namespace: `sleep`, started without copying this (large) process; a
    forked one that pauses where there is no `sleep`. Killed by the relay when the checks end."""
    sleep = shutil.which("sleep")
    if sleep:
        try:
            return os.posix_spawn(sleep, ["sleep", "2147483647"], {},
                                  file_actions=[(os.POSIX_SPAWN_CLOSE, fd) for fd in close_fds])
        except OSError:
            pass
    pid = _fork()
    if pid == 0:
        for fd in close_fds:
            os.close(fd)
        while True:
            signal.pause()
    return pid


def _relay(checks: int, init: int, close_fds) -> None:
    """The worker the grading process knows: ends as the checks' process ended. Never returns."""
    try:
        for fd in close_fds:
            os.close(fd)
        while True:
            try:
                _, status = _waitpid(checks, 0)
                break
            except InterruptedError:
                continue
        _kill(init, signal.SIGKILL)
        _waitpid(init, 0)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            faulthandler.disable()  # the checks' process already said where it crashed
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            _kill(_getpid(), sig)
        elif os.WIFEXITED(status):
            _exit(os.waitstatus_to_exitcode(status))
    finally:
        _exit(70)
