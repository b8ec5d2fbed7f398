"""Native calls through cffi, which raises no audit event of its own (ctypes does): read the
reference's source with libc's open and read. Refused at `import cffi`; where the machine hides
the reference's folder (grading/sandbox/namespaces.py), open would find nothing anyway."""
import sys
from pathlib import Path

import grading

HOSTILE = {"gradients": ("error", "native calls"), "gradient_descent": ("error", "native calls")}

KIT = Path(grading.__file__).resolve().parents[1]


def _reference():
    import cffi
    ffi = cffi.FFI()
    ffi.cdef("int open(const char *path, int flags); long read(int fd, void *buf, unsigned long n); int close(int fd);")
    libc = ffi.dlopen(None)
    argv = sys.argv
    roots = [argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "--reference"] or [str(KIT / "solutions")]
    fd = libc.open(str(Path(roots[0]).resolve() / "ex01_autograd.py").encode(), 0)
    if fd < 0:
        raise LookupError("no route to the reference's files (cffi)")
    buf = ffi.new("char[]", 1 << 20)
    n = libc.read(fd, buf, 1 << 20)
    libc.close(fd)
    namespace = {"__name__": "copied"}
    exec(compile(ffi.buffer(buf, n)[:].decode(), "<copied>", "exec"), namespace)
    return namespace


def gradients(f, *inputs):
    return _reference()["gradients"](f, *inputs)


def gradient_descent(f, x0, lr, n_steps):
    return _reference()["gradient_descent"](f, x0, lr, n_steps)
