# The bunfaas Python runner: runs dill-serialized functions, one job at a time, for a ThreadPool slot.
#
# Channel: fd 3, a socket its parent made, carrying frames of a 4-byte big-endian length and UTF-8 JSON.
# stdin is /dev/null; what the function prints (sys.stdout, sys.stderr) becomes the task's log lines; fds 1 and 2
# stay the process's own (read and logged by the parent at debug level): printing can never reach the channel.
# argv after -c: directories to put first on sys.path (--python-path), then the sandbox's own flags (ignored).
import base64, builtins, io, json, os, pickle, platform, socket, struct, sys, threading, time, traceback, types

CHANNEL = socket.socket(fileno=3)
LOG_BYTES = 64 * 1024
MAX_LINE = 8 * 1024
CACHE_MAX = 200

try:
    import dill
    import dill._dill as dill_internals
except Exception as err:  # reported by the parent's probe; a runner without dill cannot serve
    sys.stderr.write("dill is not importable: %s\n" % err)
    sys.exit(3)

PYTHON_VERSION = platform.python_version()
DILL_VERSION = getattr(dill, "__version__", "unknown")
VERSIONS = "Python %s, dill %s" % (PYTHON_VERSION, DILL_VERSION)


def send(message):
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    CHANNEL.sendall(struct.pack(">I", len(body)) + body)


def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = CHANNEL.recv(n - len(buf))
        if not chunk:
            sys.exit(0)  # the parent closed the channel
        buf += chunk
    return bytes(buf)


def receive():
    (length,) = struct.unpack(">I", read_exact(4))
    return json.loads(read_exact(length).decode("utf-8"))


def b64(data):
    # What codecs.encode(data, "base64") writes (76-character lines, trailing newline), without its lazy codec import.
    return base64.encodebytes(data).decode("ascii")


def fallback(exc_class, message):
    """A payload of a built-in exception, pickled by the standard pickler (always loadable)."""
    return b64(pickle.dumps(exc_class(message), protocol=2))


class Capture(io.TextIOBase):
    """sys.stdout / sys.stderr of one job: complete lines become log lines, capped in lines and bytes."""

    def __init__(self, log, stream):
        self.log, self.stream, self.partial = log, stream, ""

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        self.partial += text
        while "\n" in self.partial:
            line, self.partial = self.partial.split("\n", 1)
            self.log.add(self.stream, line)
        if len(self.partial) > MAX_LINE:
            self.log.add(self.stream, self.partial)
            self.partial = ""
        return len(text)

    def finish(self):
        if self.partial:
            self.log.add(self.stream, self.partial)
            self.partial = ""


class Log:
    def __init__(self, max_lines):
        self.lines, self.max_lines, self.bytes, self.truncated = [], max_lines, 0, False

    def add(self, stream, text):
        if len(text) > MAX_LINE:
            text, self.truncated = text[:MAX_LINE], True
        if len(self.lines) >= self.max_lines or self.bytes + len(text) > LOG_BYTES:
            self.truncated = True
            return
        self.bytes += len(text)
        self.lines.append({"ts": int(time.time() * 1000), "stream": stream, "text": text})


def fresh_main():
    """A new, empty __main__ for one job: functions dill pickled by value get it as their globals."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    dill_internals._main_module = main
    return main


def loads(data, main):
    unpickler = dill.Unpickler(io.BytesIO(data))
    unpickler._main = main
    return unpickler.load()


def run(job, fn_bytes, main, before):
    """One job → (status, result payload, why the runner is dirty or None), with the job's output in its log."""
    status, value, dirty = call(job, fn_bytes, main)
    dirty = changed(before)
    if dirty is not None:
        restore(before)  # so what follows (pickling, the answer) runs on this runner's own state
    if kill_leftovers() and dirty is None:
        dirty = "the function left processes running"
    if status is None:
        return "FAILED", value, dirty
    if status == "RAISED":
        try:
            return "FAILED", b64(dill.dumps(value)), dirty
        except BaseException as inner:
            return "FAILED", fallback(RuntimeError, "%s: %s (the exception itself could not be pickled: %s)" % (type(value).__name__, value, inner)), dirty
    try:
        return "COMPLETED", b64(dill.dumps(value)), dirty
    except BaseException as err:
        return "FAILED", fallback(pickle.PicklingError, "the function's result could not be pickled: %s: %s" % (type(err).__name__, err)), dirty


def call(job, fn_bytes, main):
    """Load and call the function: ("RETURNED", value) or ("RAISED", exception), or (None, failure payload)."""
    try:
        fn = loads(fn_bytes, main)
    except BaseException as err:
        return None, fallback(RuntimeError, "the function could not be loaded by this runner (%s): %s: %s" % (VERSIONS, type(err).__name__, err)), None
    if not callable(fn):
        return None, fallback(TypeError, "the payload is a %s, not a function" % type(fn).__name__), None
    try:
        payload = loads(base64.b64decode(job["args"]), main)
    except BaseException as err:
        return None, fallback(RuntimeError, "the arguments could not be loaded by this runner (%s): %s: %s" % (VERSIONS, type(err).__name__, err)), None
    if not (isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[0], (tuple, list)) and isinstance(payload[1], dict)):
        return None, fallback(TypeError, "the arguments must be the pickle of ((args, ...), {kwargs: ...})"), None
    args, kwargs = payload
    try:
        return "RETURNED", fn(*args, **kwargs), None
    except BaseException as err:  # SystemExit and KeyboardInterrupt too: the task fails, the runner serves on
        try:
            sys.stderr.write(traceback.format_exc())  # the traceback goes to the task's log
        except BaseException:
            pass
        return "RAISED", err, None


def _no_new_audit_hooks(event, args):
    # An audit hook cannot be removed: one a job added would see every later job. Refuse them all (PEP 578: a hook
    # raising RuntimeError on "sys.addaudithook" stops the new hook from being added).
    if event == "sys.addaudithook":
        raise RuntimeError("audit hooks are not allowed in bunfaas functions")


sys.addaudithook(_no_new_audit_hooks)

# What the runner's own work goes through (the channel, JSON, base64, pickling): a job that changes any of these
# could see or alter the next job, so its runner is replaced. Other modules a job changes stay changed for the jobs
# after it on the same runner (as in any long-lived Python worker).
import json.decoder, json.encoder, binascii, copyreg
WATCHED = (builtins, json, json.decoder, json.encoder, struct, base64, binascii, pickle, io, types, copyreg, dill, dill_internals)
WATCHED_CLASSES = (socket.socket, dill.Pickler, dill.Unpickler, pickle.Pickler, pickle.Unpickler)
_thread_trace = getattr(threading, "gettrace", lambda: None)  # Python 3.10+
_thread_profile = getattr(threading, "getprofile", lambda: None)


# The checks below run after user code: the built-ins they use are bound when they are defined (default arguments),
# so a job that replaced `len` or `zip` cannot blind them.
def snapshot(dict=dict, list=list, vars=vars):
    """What one job could change for the next (cheap to compare: ~30 us)."""
    return ([dict(vars(m)) for m in WATCHED], [dict(vars(c)) for c in WATCHED_CLASSES],
            list(sys.path), list(sys.meta_path), list(sys.path_hooks), sys.gettrace(), sys.getprofile(), _thread_trace(), _thread_profile())


def _same(saved, now, len=len):
    if len(saved) != len(now):
        return False
    for k, v in saved.items():
        if now.get(k, saved) is not v:
            return False
    return True


def changed(before, zip=zip, vars=vars):
    """Why this runner must not run another job (what the job changed or left running), or None."""
    mods, classes, path, meta, hooks, trace, profile, ttrace, tprofile = before
    for m, saved in zip(WATCHED, mods):
        if not _same(saved, vars(m)):
            return "the function changed %s" % m.__name__
    for c, saved in zip(WATCHED_CLASSES, classes):
        if not _same(saved, vars(c)):
            return "the function changed %s.%s" % (c.__module__, c.__name__)
    if (path, meta, hooks) != (sys.path, sys.meta_path, sys.path_hooks):
        return "the function changed the import path or hooks"
    if (trace, profile, ttrace, tprofile) != (sys.gettrace(), sys.getprofile(), _thread_trace(), _thread_profile()):
        return "the function set a trace or profile hook"
    if threading.active_count() > 1:
        return "the function left threads running"
    return None


def leftover_processes():
    """Processes the job left: with the sandbox (PID 1 is its init) every other one in the namespace, else descendants."""
    me = os.getpid()
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
            parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            pass
    if os.getppid() == 1 and me == 2:  # own PID namespace: init, this runner, and what the job spawned
        return [pid for pid in parents if pid != 1]
    found, frontier = [], {me}
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier and pid not in found]
        found.extend(children)
        frontier = set(children)
    return found


def kill_leftovers():
    """Kill what the job left running (it could read the next job off fd 3); True when there was something."""
    pids = leftover_processes()
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    return len(pids) > 0


def restore(before, zip=zip, vars=vars, setattr=setattr, delattr=delattr):
    """Put back what `snapshot` saw, so this runner's own answer is sent as it should be (it exits right after)."""
    mods, classes, path, meta, hooks = before[:5]
    sys.settrace(None)
    sys.setprofile(None)
    for m, saved in zip(WATCHED, mods):
        names = vars(m)
        names.clear()
        names.update(saved)
    for c, saved in zip(WATCHED_CLASSES, classes):
        for k in [k for k in vars(c) if k not in saved]:
            try:
                delattr(c, k)
            except (AttributeError, TypeError):
                pass
        for k, v in saved.items():
            if vars(c).get(k, saved) is not v:
                try:
                    setattr(c, k, v)
                except (AttributeError, TypeError):
                    pass
    sys.path[:], sys.meta_path[:], sys.path_hooks[:] = path, meta, hooks


def main():
    sys.stdin = open(os.devnull, "r")
    for path in reversed([a for a in sys.argv[1:] if not a.startswith("--")]):
        sys.path.insert(0, path)
    real_out, real_err = sys.stdout, sys.stderr
    cache = {}
    send({"kind": "ready", "python": PYTHON_VERSION, "dill": DILL_VERSION})
    while True:
        job = receive()
        seq, fid = job["seq"], job["functionId"]
        if "code" in job:
            if len(cache) >= CACHE_MAX:
                cache.clear()
            cache[fid] = base64.b64decode(job["code"])
        fn_bytes = cache.get(fid)
        if fn_bytes is None:
            send({"kind": "need-code", "seq": seq})
            continue
        log = Log(job.get("maxLogLines", 1000))
        out, err = Capture(log, "stdout"), Capture(log, "stderr")
        main = fresh_main()  # before the snapshot: the runner's own change of dill's __main__ is no job's
        before = snapshot()
        sys.stdout, sys.stderr = out, err
        try:
            status, result, dirty = run(job, fn_bytes, main, before)
        finally:
            sys.stdout, sys.stderr = real_out, real_err
            out.finish()
            err.finish()
        limit = job.get("maxResultBytes") or 10 * 1024 * 1024
        if len(result) > limit:
            what = "result" if status == "COMPLETED" else "error"
            status, result = "FAILED", fallback(RuntimeError, "ResultTooLargeError: the function's %s is %d bytes, over the limit of %d bytes (maxResultBytes)" % (what, len(result), limit))
        if log.lines or log.truncated:
            send({"kind": "logs", "seq": seq, "lines": log.lines, "truncated": log.truncated})
        done = {"kind": "done", "seq": seq, "status": status, "result": result}
        if dirty is not None:
            done["dirty"] = dirty  # answered, then this runner exits and a fresh one takes its place
        send(done)
        if "dirty" in done:
            os._exit(0)


main()
