"""The font program each PDF embeds, cut down once per set of glyphs instead of per document.

When a document is saved, fpdf2 cuts the embedded font down to the glyphs the document
used (fontTools' subsetter) and compiles the result: about two thirds of the time of a
one-page slip or receipt.  Documents printed in a batch use nearly the same glyphs — a
year's SHU slips differ by names and figures — so the result is the same again and again.

:func:`subset_map` gives a document's font the glyph map fpdf2 fills while text is set
(fpdf2's own ``SubsetMap``); when fpdf2 asks it for the glyphs used, just before it cuts
the font down, the font's program is swapped for one already cut down to exactly those
glyphs (made once per glyph set, kept for the last :data:`KEPT` sets).  fpdf2 then cuts
that small program down again, which changes nothing and is quick, and saving it writes
the bytes it wrote the first time.  The PDF is byte for byte the one fpdf2 makes without
this module (``tests/core/test_pdf_subsets.py``).

fpdf2 and fontTools are imported only when a document is made, like :mod:`dyncrm.pdf`.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

#: How many glyph sets (each with its cut-down program, 10–30 KB) are kept per process.
KEPT = 256

_programs: OrderedDict[tuple, _Program] = OrderedDict()
_lock = threading.Lock()
_classes: dict[str, type] = {}


class _Program:
    """One font cut down to one glyph set: the program with its glyph names (what fpdf2
    cuts down again) and, once a document was saved with it, the bytes saving wrote."""

    __slots__ = ("cut", "saved")

    def __init__(self, cut: bytes) -> None:
        self.cut = cut
        self.saved: bytes | None = None


def subset_map(font: Any, source: tuple[str, str], data: bytes) -> Any:
    """fpdf2's glyph map (``SubsetMap``) for ``font``, a document's copy of the font read
    from ``data`` (``source``: its style and file, naming it in the cache), which swaps
    the font's program for a cut-down one when fpdf2 is about to save it."""
    return _class("map", _subset_map_class)(font, source, data)


def _class(name: str, make: Any) -> type:
    """The class ``make()`` makes, made once (on first use: fpdf2 and fontTools are
    imported only then)."""
    made = _classes.get(name)
    if made is None:
        made = _classes[name] = make()
    return made


def _subset_map_class() -> type:
    from fpdf.fonts import SubsetMap

    class CachingSubsetMap(SubsetMap):
        """fpdf2's ``SubsetMap``; asked for every glyph used (which fpdf2 does once, when
        it saves the document, right before cutting the font down), it also gives the
        font the program already cut down to those glyphs."""

        def __init__(self, font: Any, source: tuple[str, str], data: bytes) -> None:
            self._source, self._data = source, data
            super().__init__(font)

        def get_all_glyph_names(self) -> Sequence[str]:
            names = super().get_all_glyph_names()
            self.font.ttfont = _program_for(self._source, self._data, names)
            return names

    return CachingSubsetMap


def _saved_once_class() -> type:
    from fontTools.ttLib import TTFont

    class SavedOnce(TTFont):
        """A cut-down program (``program``: its :class:`_Program`); saving writes the
        bytes the first save of that program wrote."""

        program: _Program

        def save(self, file: Any, reorderTables: bool | None = True) -> None:
            if self.program.saved is None:
                out = io.BytesIO()
                super().save(out, reorderTables)
                self.program.saved = out.getvalue()
            file.write(self.program.saved)

    return SavedOnce


def _program_for(source: tuple[str, str], data: bytes, names: Sequence[str]) -> Any:
    """A fontTools font of ``data`` already cut down to the glyphs ``names``, whose
    ``save`` writes what saving it wrote the first time."""
    key = (source, frozenset(names))
    with _lock:
        program = _programs.get(key)
        if program is not None:
            _programs.move_to_end(key)
    if program is None:
        program = _Program(_cut(data, names))
        with _lock:
            _programs[key] = program
            while len(_programs) > KEPT:
                _programs.popitem(last=False)

    font = _class("saved", _saved_once_class)(io.BytesIO(program.cut), recalcTimestamp=False,
                                               lazy=True)
    font.program = program
    return font


def _cut(data: bytes, names: Sequence[str]) -> bytes:
    """``data``'s font cut down to the glyphs ``names`` with fontTools' default options,
    glyph names kept (fpdf2 names the glyphs when it cuts the program down again, with
    its own options)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True)
    cutter = subset.Subsetter(options)
    cutter.populate(glyphs=sorted(set(names)))
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def clear() -> None:
    """Forget every cut-down program (tests)."""
    with _lock:
        _programs.clear()


__all__ = ["KEPT", "clear", "subset_map"]
