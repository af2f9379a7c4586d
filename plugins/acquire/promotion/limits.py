"""Promotion texts: a Jinja sandbox bounded in work, size and time, and a trial in a child.

Jinja's ``SandboxedEnvironment`` stops escapes (no ``__class__``, no unsafe
callables) but not exhaustion: a nested ``range(99999)`` loop runs for hours
and ``'A' * 3000000000`` allocates gigabytes.  :class:`BoundedSandbox` adds, for
each render:

* a **step budget**: every loop iteration and every call counts one step
  (``max_steps``); the wall clock is checked as the steps go (``timeout``);
* ``range()`` of at most ``max_range`` items;
* no value larger than ``max_chars`` made by ``*``, ``+``, ``%``, ``~``,
  ``**`` or by the filters and string/list methods that multiply
  (``replace``, ``join``, ``center``, ``indent``, ``format``, ``extend`` …),
  checked *before* the value is built;
* an **output cap**: rendering stops as soon as ``max_chars`` are produced.

These make a promotion's text cheap to fill in for each member of a push, in
the sending process.  When a promotion is added, its text is also tried once
for a sample member in a **child process** (:func:`trial_render`) with a hard
wall-time limit and an address-space limit (``RLIMIT_AS``), which catches
whatever the in-process checks do not foresee; the child is started once per
``promo add``, never per member.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer


@attrs.frozen
class Limits:
    """How much one rendering of a promotion text may take."""

    #: seconds one rendering may take (in the child: the trial at ``promo add``)
    timeout: float = 2.0
    #: megabytes the trial rendering may allocate (child process only)
    memory_mb: int = 256
    #: characters of one message, and of any value built while rendering
    max_chars: int = 65_536
    #: loop iterations plus calls in one rendering
    max_steps: int = 10_000
    #: items of one ``range()``
    max_range: int = 10_000


class TemplateLimit(Exception):
    """A rendering went beyond a :class:`Limits` bound; the message says which."""


_INT_BITS = 65_536  # the largest integer a template may build, in bits
_LONG_NUMBER = re.compile(r"\d{6,}")  # a width or precision of a million or more
#: string methods whose result grows with an integer argument
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
#: filters whose result grows with an integer argument (after the value)
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "slice", "batch"})
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")  # str.format width taken from an argument


class _Guard(NodeTransformer):
    """Route every ``for`` loop's iterable and every ``~`` through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_dyncrm_steps", [], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "_dyncrm_concat", [],
                            [], None, None, lineno=node.lineno)


class BoundedSandbox(SandboxedEnvironment):
    """A ``SandboxedEnvironment`` whose renders are bounded by :class:`Limits`.

    Compile with :meth:`compile_text` and render with :meth:`render_text`; a
    template compiled otherwise is not guarded.  One instance renders one
    template at a time (the budget lives on the instance).
    """

    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def __init__(self, limits: Limits, *, filters: dict[str, Callable] | None = None,
                 globals: dict[str, Any] | None = None) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False,
                         keep_trailing_newline=False)
        self.limits = limits
        self.filters.update(filters or {})
        self.filters = {name: self._guard_filter(name, f) for name, f in self.filters.items()}
        self.filters["_dyncrm_steps"] = self._steps_over
        self.filters["_dyncrm_concat"] = self._concat
        self.globals.update(globals or {})
        self.globals["range"] = self._range
        self._steps = 0
        self._deadline = float("inf")

    # -- compiling and rendering ----------------------------------------------------

    def compile_text(self, text: str) -> jinja2.Template:
        """Compile ``text`` with every loop and ``~`` counted (raises ``TemplateSyntaxError``)."""
        tree = self.parse(text)
        return self.from_string(_Guard().visit(tree))

    def render_text(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """Render within the limits; raises :class:`TemplateLimit` when one is passed."""
        self._steps = 0
        self._deadline = time.monotonic() + self.limits.timeout
        size, parts = 0, []
        try:
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > self.limits.max_chars:
                    raise TemplateLimit(f"the text is longer than {self.limits.max_chars:,} "
                                        "characters")
                parts.append(chunk)
        except RecursionError:
            raise TemplateLimit("it calls itself without end (a macro calling itself)") from None
        return "".join(parts)

    # -- the budget ---------------------------------------------------------------

    def _step(self, count: int = 1) -> None:
        self._steps += count
        if self._steps > self.limits.max_steps:
            raise TemplateLimit(f"it takes more than {self.limits.max_steps:,} loop steps and "
                                "calls; use fewer or smaller loops")
        if not self._steps & 63 and time.monotonic() > self._deadline:  # every 64 steps
            raise TemplateLimit(f"filling it in takes longer than {self.limits.timeout:g} s")

    def _steps_over(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self._step()
            yield item

    def _range(self, *args: int) -> range:
        found = range(*args)
        if len(found) > self.limits.max_range:
            raise TemplateLimit(f"range() of {len(found):,} items; at most "
                                f"{self.limits.max_range:,} are allowed")
        return found

    def _size_ok(self, size: int, what: str) -> None:
        if size > self.limits.max_chars:
            raise TemplateLimit(f"{what} would make a value of {size:,} characters or items; "
                                f"at most {self.limits.max_chars:,} are allowed")

    def _concat(self, parts: list[Any]) -> str:
        texts = [str(p) for p in parts]
        self._size_ok(sum(len(t) for t in texts), "joining with ~")
        return "".join(texts)

    # -- operators, calls, filters -----------------------------------------------

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``+``, ``%`` and ``**`` with the size of the result checked first."""
        self._step()
        sized = (str, bytes, list, tuple)
        if operator == "*":
            if isinstance(left, int) and isinstance(right, sized):
                left, right = right, left
            if isinstance(left, sized) and isinstance(right, int):
                self._size_ok(len(left) * max(right, 0), "repeating with *")
            elif isinstance(left, int) and isinstance(right, int):
                self._bits_ok(abs(left).bit_length() + abs(right).bit_length())
        elif operator == "+" and isinstance(left, sized) and isinstance(right, sized):
            self._size_ok(len(left) + len(right), "adding with +")
        elif operator == "%" and isinstance(left, str):
            self._format_ok(left, right if isinstance(right, tuple | list) else (right,))
        elif (operator == "**" and isinstance(left, int) and isinstance(right, int)
              and right > 0 and abs(left) > 1):
            self._bits_ok(abs(left).bit_length() * right)
        return super().call_binop(context, operator, left, right)

    def _bits_ok(self, bits: int) -> None:
        if bits > _INT_BITS:
            raise TemplateLimit("a number in the text would be far too large")

    def _format_ok(self, fmt: str, args: Iterable[Any]) -> None:
        args = list(args)
        if _LONG_NUMBER.search(fmt):
            raise TemplateLimit("a format width or precision of a million or more")
        if "*" in fmt or _NESTED_FIELD.search(fmt):  # widths taken from the arguments
            for arg in args:
                if isinstance(arg, int) and not isinstance(arg, bool) and \
                        abs(arg) > self.limits.max_chars:
                    raise TemplateLimit("a format width beyond the size limit")
        self._size_ok(len(fmt) + sum(len(str(a)) for a in args if isinstance(a, str)),
                      "formatting with %")

    def _args_ok(self, name: str, args: tuple, kwargs: dict) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and \
                    abs(value) > self.limits.max_chars:
                label = name if name.startswith("|") else f"{name}()"
                raise TemplateLimit(f"{label} was given {value:,}; at most "
                                    f"{self.limits.max_chars:,} is allowed")

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """A call from the template: counted, its arguments and known growth checked."""
        __self._step()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str):
            __self._str_method_ok(owner, name, args, kwargs)
        elif isinstance(owner, list) and name in ("extend", "__iadd__") and args:
            __self._size_ok(len(owner) + len(args[0]), "extending a list")
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | list | tuple | bytes):
            __self._size_ok(len(result), f"{name or 'a call'}()")
        return result

    def _str_method_ok(self, text: str, name: str, args: tuple, kwargs: dict) -> None:
        if name == "replace" and len(args) >= 2:
            old, new = str(args[0]), str(args[1])
            hits = text.count(old) if old else len(text) + 1
            self._size_ok(len(text) + hits * max(len(new) - len(old), 0), "replace()")
        elif name == "join" and args:
            items = [str(i) for i in args[0]]
            self._size_ok(sum(map(len, items)) + len(text) * max(len(items) - 1, 0), "join()")
        elif name == "expandtabs":
            size = int(args[0]) if args else int(kwargs.get("tabsize", 8))
            self._size_ok(len(text) + text.count("\t") * max(size, 0), "expandtabs()")
        elif name in ("format", "format_map"):
            self._format_ok(text, [*args, *kwargs.values()])
        elif name in _WIDTH_METHODS and args:
            self._size_ok(int(args[0]), f"{name}()")

    def _guard_filter(self, name: str, fn: Callable) -> Callable:
        """``fn`` with its integer arguments bounded, its growth estimated and its result sized."""
        guard = self
        skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0  # context first

        def guarded(*args: Any, **kwargs: Any) -> Any:
            guard._step()
            plain = args[skip:]
            if name in _WIDTH_FILTERS:
                guard._args_ok(f"|{name}", tuple(plain[1:]), kwargs)
            value = plain[0] if plain else None
            if isinstance(value, str):
                if name == "replace" and len(plain) >= 3:
                    guard._str_method_ok(value, "replace", tuple(plain[1:3]), {})
                elif name == "indent":
                    width = plain[1] if len(plain) > 1 else kwargs.get("width", 4)
                    width = len(width) if isinstance(width, str) else int(width)
                    guard._size_ok(len(value) + (value.count("\n") + 1) * width, "|indent")
                elif name == "wordwrap":
                    wrap = kwargs.get("wrapstring") or (plain[3] if len(plain) > 3 else "\n")
                    width = max(int(plain[1] if len(plain) > 1 else kwargs.get("width", 79)), 1)
                    guard._size_ok(len(value) + (len(value) // width + 1) * len(str(wrap)),
                                   "|wordwrap")
                elif name == "format":
                    guard._format_ok(value, (*plain[1:], *kwargs.values()))
                elif name == "center" and len(plain) > 1:
                    guard._size_ok(int(plain[1]), "|center")
            if name == "join" and len(plain) >= 1:
                items = [str(i) for i in plain[0]]
                sep = str(plain[1]) if len(plain) > 1 else str(kwargs.get("d", ""))
                guard._size_ok(sum(map(len, items)) + len(sep) * max(len(items) - 1, 0),
                               "|join")
                args = (*args[:len(args) - len(plain)], items, *plain[1:])
            result = fn(*args, **kwargs)
            if isinstance(result, str | list | tuple | bytes):
                guard._size_ok(len(result), f"|{name}")
            return result

        for attr in ("jinja_pass_arg",):  # keep pass_context / pass_eval_context markers
            if hasattr(fn, attr):
                setattr(guarded, attr, getattr(fn, attr))
        guarded.__name__ = getattr(fn, "__name__", name)
        return guarded


# --- the trial in a child process ---------------------------------------------------


def trial_render(text: str, context: dict[str, Any], *, limits: Limits,
                 locale: str, currency: str, exponent: int,
                 globals: dict[str, Any] | None = None) -> int:
    """Fill ``text`` in once in a child process bounded in wall time and memory.

    Returns the length of the result; raises :class:`TemplateLimit` when the
    child passes a limit (or is killed for it) and ``ValueError`` (with the
    template's own message) when the text cannot be filled in; ``OSError`` when
    no process can be started.

    The child is forked by a small *trial server*: a separate Python process
    (started with ``sys.executable`` on the first trial, kept for the next ones,
    ending when this process does) that holds no database connection, lock or
    thread, so forking it is safe and takes milliseconds.
    """
    job = {"text": text, "context": context, "limits": limits, "locale": locale,
           "currency": currency, "exponent": exponent, "globals": globals or {}}
    answer = _SERVER.ask(job, wait=limits.timeout + 15.0)
    if "limit" in answer:
        raise TemplateLimit(answer["limit"])
    if "error" in answer:
        raise ValueError(answer["error"])
    return int(answer["chars"])


def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value)
    data = struct.pack(">I", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _receive(fd: int, deadline: float | None) -> Any:
    """One framed value from ``fd``; ``EOFError`` when closed, ``TimeoutError`` when late."""
    buffer = b""
    need = 4
    size = None
    while len(buffer) < need:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            raise EOFError
        buffer += chunk
        if size is None and len(buffer) >= 4:
            size = struct.unpack(">I", buffer[:4])[0]
            need = 4 + size
    return pickle.loads(buffer[4:need])


class _TrialServer:
    """The client side of the trial server: starts it once, restarts it if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-c", f"import {__name__} as m; m._serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                close_fds=True)
        return self._process

    def _stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
            self._process.wait()
            self._process = None

    def close(self) -> None:
        """End the server (at exit): it stops when its input closes."""
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._stop()

    def ask(self, job: dict[str, Any], *, wait: float) -> dict[str, Any]:
        """Send one job, return the server's answer (a dict)."""
        with self._lock:
            for attempt in (1, 2):
                process = self._start()
                try:
                    _send(process.stdin.fileno(), job)
                    return _receive(process.stdout.fileno(), time.monotonic() + wait)
                except (BrokenPipeError, EOFError):  # the server had ended: start a new one
                    self._stop()
                    if attempt == 2:
                        raise OSError("the promotion-text checking process ended "
                                      "unexpectedly") from None
                except TimeoutError:
                    self._stop()
                    return {"limit": f"filling it in takes longer than "
                                     f"{job['limits'].timeout:g} s"}
        raise AssertionError("unreachable")


_SERVER = _TrialServer()
atexit.register(_SERVER.close)


def _serve() -> None:
    """The trial server: for each job on stdin, fork a bounded child and answer on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command, not for us
    inp, out = sys.stdin.fileno(), sys.stdout.fileno()
    while True:
        try:
            job = _receive(inp, None)
        except EOFError:
            return
        _send(out, _fork_one(job))


def _fork_one(job: dict[str, Any]) -> dict[str, Any]:
    """Render ``job`` in a forked child; the answer, or what killed the child."""
    limits: Limits = job["limits"]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, answer, leave without any cleanup
        os.close(read)
        try:
            answer = _render_job(job)
            _send(write, answer)
        finally:
            os._exit(0)
    os.close(write)
    try:
        return _receive(read, time.monotonic() + limits.timeout + 5.0)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        return {"limit": f"filling it in takes longer than {limits.timeout:g} s"}
    except EOFError:  # the child died without answering
        return {"limit": f"filling it in takes too much time or memory (more than "
                         f"{limits.timeout:g} s or {limits.memory_mb} MB)"}
    finally:
        os.close(read)
        os.waitpid(pid, 0)


def _child_limits(limits: Limits) -> None:
    """Cap this process's address space and CPU time (Linux and other Unix systems)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    try:
        with open("/proc/self/statm") as fh:
            now = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        now = 512 * 2**20
    cap = now + limits.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + limits.timeout) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _render_job(job: dict[str, Any]) -> dict[str, Any]:
    """In the child: render the job within its limits; the answer as a dict."""
    from dyncrm.money import Money
    from dyncrm.templating import Locale

    limits: Limits = job["limits"]
    locale = Locale(job["locale"])

    def money(value: Any, currency: str | None = None) -> str:
        if value is None:
            return ""
        if not isinstance(value, Money):
            value = Money.of(value, currency or job["currency"])
        return locale.money(value, job["exponent"])

    env = BoundedSandbox(limits, filters={
        "money": money, "date": lambda v, long=True: locale.date(v, long=long)},
        globals=job["globals"])

    def alarm(signum, frame):
        raise TemplateLimit(f"filling it in takes longer than {limits.timeout:g} s")

    try:
        template = env.compile_text(job["text"])
        _child_limits(limits)
        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, limits.timeout)
        try:
            out = env.render_text(template, job["context"])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return {"chars": len(out)}
    except TemplateLimit as exc:
        return {"limit": str(exc)}
    except MemoryError:
        return {"limit": f"filling it in needs more than {limits.memory_mb} MB"}
    except Exception as exc:  # the template's own error, reported to the staff member
        return {"error": str(exc) or type(exc).__name__}
