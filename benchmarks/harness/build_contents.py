"""What the build under measurement contains: the suite's one way to reach a
kernel by name, so that a commit whose build lacks one (a commit from
before the kernel was added, a build without OpenMP's or Cython 3.3's
kernels) still imports the whole suite, and every benchmark that needs the
missing kernel is skipped with asv's mechanism and a reason that names it.

asv discovers the suite by importing every benchmark module.  A top-level
``from gilbench.kernels.c5_with_gil_in_prange import section_gil_once``
against an old build raises ImportError there and takes every benchmark of
the suite down with it ("setup_cache failed" for all).  Instead a module
asks::

    prange_plain, section_gil_once = kernels("c5_with_gil_in_prange",
                                             "prange_plain", "section_gil_once")

and gets the real functions, or, for a name the build lacks, a
:class:`Missing` placeholder that raises ``NotImplementedError`` (asv's
skip) when called.  :func:`missing_reason` finds the placeholders a
benchmark class reaches -- its methods, and the module's functions they
call, followed through their code -- so ``common.Benchmark`` skips such a
benchmark in ``setup`` (and makes its ``setup_cache`` record the skip
instead of failing), before it calls anything.

Exact counts name their kernels as (module, function) strings:
:func:`absent` says which of those a build lacks.
"""

from __future__ import annotations

import functools
import importlib
import types

__all__ = ["Missing", "kernels", "require", "module_names", "absent", "absent_reason",
           "missing_reason", "describe", "other_arguments", "OLD_ARGUMENTS"]

#: The measured package's kernels live here; other modules are named whole.
KERNELS_PACKAGE = "gilbench.kernels"


def _full(module: str) -> str:
    return module if module.startswith("gilbench") else f"{KERNELS_PACKAGE}.{module}"


def describe(module: str, name: str) -> str:
    """``c5_with_gil_in_prange.section_gil_once``: a kernel named as the
    reasons name it (the package's prefix left out)."""
    short = module.removeprefix(KERNELS_PACKAGE + ".").removeprefix("gilbench.")
    return f"{short}.{name}"


#: What a kernel of an older build raises when called with today's
#: arguments: it took other ones then (``prange_with_gil``'s ``block`` was
#: ``op``/``enter``).  A count's first, uncounted call catches these only.
OLD_ARGUMENTS = (TypeError, ValueError)


def other_arguments(module: str, name: str, exc: BaseException) -> str:
    """The reason a count skips a kernel that refused today's arguments."""
    return (f"{describe(module, name)} of this build takes other arguments "
            f"({type(exc).__name__}: {exc})")


class Missing:
    """A name the build under measurement lacks.  Calling it raises
    ``NotImplementedError`` (asv's skip) with the reason; so does any
    attribute, and it is never true, so a module-level use of it cannot pass
    for the real thing."""

    def __init__(self, module: str, name: str, why: str):
        self.module, self.name, self.why = module, name, why
        # Named like the function it stands for: a count that names its
        # kernel by ``f.__name__`` names the missing one, and skips it.
        self.__name__ = self.__qualname__ = name

    @property
    def reason(self) -> str:
        return f"{describe(self.module, self.name)} not in this build ({self.why})"

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(self.reason)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotImplementedError(self.reason)

    def __bool__(self):
        return False

    def __repr__(self):
        return f"<missing {describe(self.module, self.name)}>"


@functools.cache
def _module(module: str):
    """The imported module, or the reason it cannot be (the message names
    the first thing missing: a module the build lacks, or one of its
    imports)."""
    try:
        return importlib.import_module(_full(module))
    except ImportError as exc:
        return f"{_full(module)} does not import: {exc}"


def kernels(module: str, *names: str):
    """The objects ``names`` of ``module`` (``c6_scan`` for a kernel module,
    or a full ``gilbench.…`` name), each the real one or a
    :class:`Missing`: one object for one name, else a tuple."""
    mod = _module(module)
    got = []
    for name in names:
        if isinstance(mod, str):
            got.append(Missing(_full(module), name, mod))
        elif hasattr(mod, name):
            got.append(getattr(mod, name))
        else:
            got.append(Missing(_full(module), name, "a build from before it was added"))
    return got[0] if len(names) == 1 else tuple(got)


def require(module: str, name: str):
    """The object ``name`` of ``module``, or asv's skip (NotImplementedError,
    naming it) when the build lacks it: for a kernel chosen by a
    benchmark's parameters, looked up in ``setup``."""
    got = kernels(module, name)
    if isinstance(got, Missing):
        raise NotImplementedError(got.reason)
    return got


def module_names(module: str, *names: str) -> types.SimpleNamespace:
    """``kernels(module, *names)`` as a namespace (``k7.sumsq_prange``), for
    a benchmark module that names a kernel module by a short alias."""
    got = kernels(module, *names)
    return types.SimpleNamespace(**dict(zip(names, got if len(names) > 1 else (got,),
                                            strict=True)))


def absent(points) -> list[str]:
    """Which (module, function, ...) points' kernels the build lacks, each as
    ``c5_with_gil_in_prange.section_gil_once``, in order, once each."""
    return list(dict.fromkeys(describe(m.module, m.name) for m in _lacking(points)))


def _lacking(points) -> list[Missing]:
    found = [kernels(module, func) for module, func, *_ in points]
    return [m for m in found if isinstance(m, Missing)]


def _reason(found: list[Missing]) -> str | None:
    """One sentence per cause: ``a.f, a.g not in this build (why)``."""
    by_why: dict[str, list[str]] = {}
    for m in found:
        names = by_why.setdefault(m.why, [])
        if describe(m.module, m.name) not in names:
            names.append(describe(m.module, m.name))
    return "; ".join(f"{', '.join(names)} not in this build ({why})"
                     for why, names in by_why.items()) or None


def absent_reason(points) -> str | None:
    """Why a count table of ``points`` cannot be taken on this build (the
    kernels it lacks, named), or None."""
    return _reason(_lacking(points))


def _walk(obj, module: str, seen: set, found: list) -> None:
    """Collect the :class:`Missing` objects that ``obj`` reaches through the
    global names its code uses, following functions and classes of the
    benchmark modules (``module``'s package) and namespaces of kernels."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Missing):
        found.append(obj)
    elif isinstance(obj, dict):
        for value in obj.values():
            _walk(value, module, seen, found)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _walk(value, module, seen, found)
    elif isinstance(obj, functools.partial):
        _walk(obj.func, module, seen, found)
    elif isinstance(obj, (staticmethod, classmethod)):
        _walk(obj.__func__, module, seen, found)
    elif isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            if f is not None:
                _walk(f, module, seen, found)
    elif isinstance(obj, types.FunctionType):
        if obj.__module__.partition(".")[0] == module.partition(".")[0]:
            _walk_code(obj.__code__, obj.__globals__, module, seen, found)
            # What a wrapper or closure calls: functools.wraps' original,
            # and the values its cells hold.
            for cell in obj.__closure__ or ():
                try:
                    _walk(cell.cell_contents, module, seen, found)
                except ValueError:   # an empty cell
                    pass
            if hasattr(obj, "__wrapped__"):
                _walk(obj.__wrapped__, module, seen, found)
    elif isinstance(obj, type):
        if obj.__module__.partition(".")[0] == module.partition(".")[0]:
            for klass in obj.__mro__:
                for value in vars(klass).values():
                    _walk(value, module, seen, found)


def _walk_code(code, globs: dict, module: str, seen: set, found: list) -> None:
    names = sorted(set(code.co_names))
    for name in names:
        value = globs.get(name)
        if isinstance(value, types.SimpleNamespace):
            # module_names(): only the attributes this code reads.
            for attr, member in vars(value).items():
                if attr in names and isinstance(member, Missing):
                    found.append(member)
        elif value is not None:
            _walk(value, module, seen, found)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _walk_code(const, globs, module, seen, found)


def missing_reason(*objs) -> str | None:
    """Why the benchmark classes or functions ``objs`` cannot run on this
    build (each missing kernel they reach, named), or None when nothing
    they reach is missing."""
    found: list[Missing] = []
    seen: set = set()
    for obj in objs:
        _walk(obj, getattr(obj, "__module__", "") or "", seen, found)
    return _reason(found)
