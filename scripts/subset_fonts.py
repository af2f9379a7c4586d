"""Cut DejaVu Sans down to the scripts a cooperative's documents print.

The full DejaVu Sans (6,253 glyphs) made every PDF pay about a second of parsing and
subsetting in fontTools; the shipped files keep Latin (with every extension and the
combining marks), Greek, Cyrillic, punctuation, currency, arrows, box drawing and a few
symbols (about 2,500 glyphs), which covers the names an Indonesian cooperative's
members write, and roughly halves the time of each PDF.  Run from the repository root
with the full font files from https://dejavu-fonts.github.io/ (version 2.37)::

    python scripts/subset_fonts.py /path/to/dejavu-fonts-ttf-2.37/ttf

It writes ``src/dyncrm/fonts/DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``.  The font
names and copyright notices are kept (name table whole), as the licence asks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

#: The Unicode blocks kept, as (first, last) code points.
BLOCKS = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0250, 0x036F),  # IPA, spacing modifiers, combining diacritical marks
    (0x0370, 0x052F),  # Greek and Coptic, Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x21FF),  # punctuation, super/subscripts, currency, letterlike, arrows
    (0x2212, 0x2212),  # minus sign
    (0x2500, 0x25FF),  # box drawing, blocks, geometric shapes
    (0x2700, 0x27BF),  # dingbats (check marks)
    (0x2C60, 0x2C7F),  # Latin Extended-C
    (0xA720, 0xA7FF),  # Latin Extended-D
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFFFD, 0xFFFD),  # replacement character
]
FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]


def subset_font(source: Path, target: Path) -> int:
    """Write ``source`` cut down to :data:`BLOCKS` into ``target``; the glyphs kept."""
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = False
    options.recalc_timestamp = False
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in BLOCKS for c in range(first, last + 1)])
    subsetter.subset(font)
    font["post"].formatType = 3.0  # glyph names come from the cmap: nothing to parse
    font.save(target)
    return len(font.getGlyphOrder())


def main(argv: list[str]) -> int:
    """Subset the two shipped styles from the folder of the full fonts given."""
    if len(argv) != 1:
        print(__doc__)
        return 2
    source_dir = Path(argv[0])
    target_dir = Path(__file__).resolve().parents[1] / "src" / "dyncrm" / "fonts"
    for name in FILES:
        kept = subset_font(source_dir / name, target_dir / name)
        print(f"{name}: {kept} glyphs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
