"""PySide6's start-up without compiling its own Python source in every process.

PySide6's wheels (built for Python's limited API, one wheel for several Pythons) carry the
Python half of shiboken, the ``shibokensupport`` package (signatures, ``__feature__``,
enums), as source text in a zip embedded in ``libshiboken``; ``import shiboken6`` compiles
it with the built-in ``compile()`` every time (14 files, 129 KB: ~20-25 ms of CPU of the
~50 ms shiboken costs a process). :func:`import_shiboken` imports shiboken6 with
``compile()`` answered from a cache of those code objects (``marshal``, as a ``.pyc``
holds them), keyed by the source's SHA-256, the file name, the compiler flags (the
support package is compiled with the ``from __future__`` flags of PySide6's loader, as
``compile()`` inherits them) and the optimisation level, in a file per Python bytecode
version beside the app's other caches. The code is what
``compile()`` makes of that very source (a new PySide6 is a new key); everything else of
the import, and any other ``compile()`` call, is PySide6's and Python's own.

PySide6's own switch for this (the ``SBK_EMBED=0`` environment variable: the files written
to ``site-packages/shiboken6/files.dir`` and imported from there with ``.pyc`` caches from
then on) changes the user's installed environment and needs write access there: not taken.
"""

import __future__

import builtins
import contextlib
import hashlib
import marshal
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from citymgr_desktop.core import cache

_PACKAGE = "shibokensupport/"
_BOOTSTRAP = "signature_bootstrap.py"
_Key = tuple[str, bytes, int, int]  # file name, SHA-256 of the source, flags, optimisation
_ENTRIES = 100  # the files of shiboken's support package (14 in PySide6 6.8)
# the ``from __future__`` flags a code object passes on to compile() called from it (the
# two oldest features are always on: their flags are not future flags, CO_NESTED is 0x10)
_FUTURE = sum(getattr(__future__, name).compiler_flag for name in __future__.all_feature_names
              if name not in ("nested_scopes", "generators"))


def cache_file() -> Path:
    """Where the code objects are kept (``CITYMGR_CACHE_DIR`` overrides the folder)."""
    return cache.folder() / f"shiboken-{sys.implementation.cache_tag}.marshal"


def import_shiboken() -> None:
    """``import shiboken6`` (PySide6 imports it first) with its support package's code
    from the cache, the cache written when a file was missing from it. Does nothing when
    shiboken6 is already imported."""
    if "shiboken6" in sys.modules:
        return
    kept = _load()
    used: dict[_Key, bytes] = {}
    compile_ = builtins.compile

    def cached(source: Any, filename: Any, mode: str, flags: int = 0,
               dont_inherit: bool = False, optimize: int = -1) -> Any:
        if not dont_inherit:  # the caller's future statements, as compile() takes them
            flags |= sys._getframe(1).f_code.co_flags & _FUTURE
        if not (isinstance(source, bytes) and isinstance(filename, str) and mode == "exec"
                and (filename.startswith(_PACKAGE) or filename == _BOOTSTRAP)):
            return compile_(source, filename, mode, flags, True, optimize)
        key = (filename, hashlib.sha256(source).digest(), flags,
               sys.flags.optimize if optimize == -1 else optimize)
        blob = kept.get(key)
        if blob is not None:
            with contextlib.suppress(Exception):  # a damaged entry: compiled as it comes
                code = marshal.loads(blob)
                if isinstance(code, CodeType):
                    used[key] = blob
                    return code
        code = compile_(source, filename, mode, flags, True, optimize)
        used[key] = marshal.dumps(code)
        return code

    builtins.compile = cached  # type: ignore[assignment]  # (compile's own parameters)
    try:
        import shiboken6  # noqa: F401
    finally:
        if builtins.compile is cached:
            builtins.compile = compile_
    if used and used.keys() != kept.keys():
        _save(used)


def _load() -> dict[_Key, bytes]:
    """The cached code (none when the file is missing or damaged: compiled as it comes)."""
    return cache.load(cache_file(), _valid, binary=True)


def _valid(key: Any, value: Any) -> bool:
    return isinstance(key, tuple) and isinstance(value, bytes)


def _save(used: dict[_Key, bytes]) -> None:
    """Best effort: a cache that cannot be written only means compiling next time."""
    cache.store(cache_file(), used, _ENTRIES, binary=True)
