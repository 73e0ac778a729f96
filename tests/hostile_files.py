"""Hostile contract files, made on the spot by the tests (none is committed: some inflate to GBs).

A zip bomb is written without compressing its gigabytes: a megabyte of blanks is deflated once
and its compressed bytes repeated (each ends with a full flush, so each stands alone), and the
zip around it is written by hand.
"""

import io
import struct
import zipfile
import zlib
from pathlib import Path

from openpyxl import Workbook

from data.contract import SPECS

# The bookings columns but the optional last one, `booked_at`.
BOOKING_HEADER = tuple(SPECS["bookings"].names[:-1])
BOOKING_ROW = (
    "hostile-1",
    "rockville",
    "p-hostile",
    "initial",
    "2026-03-10 09:00",
    60,
    "completed",
)
SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def bookings_workbook(path: Path, rows=(BOOKING_ROW,)) -> Path:
    """An ordinary bookings workbook, as Excel would save it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "bookings"
    sheet.append(BOOKING_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class _Part:
    """A zip member as raw deflate bytes, with the CRC and size of what they inflate to."""

    def __init__(self, deflated: bytes, crc: int, size: int) -> None:
        self.deflated, self.crc, self.size = deflated, crc, size

    @classmethod
    def of(cls, data: bytes) -> "_Part":
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))

    @classmethod
    def padded(cls, before: bytes, blanks_mib: int, after: bytes) -> "_Part":
        """`before`, then `blanks_mib` MiB of blanks, then `after`, deflated in a few calls."""
        block = b" " * (1 << 20)
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        head = packer.compress(before) + packer.flush(zlib.Z_FULL_FLUSH)
        repeat = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
        tail = packer.compress(after) + packer.flush()
        crc = zlib.crc32(before)
        for _ in range(blanks_mib):
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(after, crc)
        size = len(before) + blanks_mib * len(block) + len(after)
        return cls(head + repeat * blanks_mib + tail, crc, size)


def _write_zip(path: Path, parts: dict[str, _Part]) -> Path:
    """A zip of deflated members, local headers and central directory written by hand."""
    out = io.BytesIO()
    directory = []
    for name, part in parts.items():
        offset = out.tell()
        encoded = name.encode()
        sizes = (part.crc, len(part.deflated), part.size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes))
        out.write(encoded + part.deflated)
        fields = (0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, offset)
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", *fields) + encoded)
    start = out.tell()
    for entry in directory:
        out.write(entry)
    size = out.tell() - start
    count = len(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, 0))
    path.write_bytes(out.getvalue())
    return path


def zip_bomb_workbook(path: Path, blanks_mib: int) -> Path:
    """A valid bookings workbook whose sheet XML holds `blanks_mib` MiB of blanks."""
    parts = {name: _Part.of(data) for name, data in _parts(bookings_workbook(path)).items()}
    sheet = _parts(path)[SHEET]
    cut = sheet.index(b"<sheetData>") + len(b"<sheetData>")
    parts[SHEET] = _Part.padded(sheet[:cut], blanks_mib, sheet[cut:])
    return _write_zip(path, parts)


def many_parts_workbook(path: Path, extra_parts: int) -> Path:
    """A valid bookings workbook with `extra_parts` empty members besides its own."""
    parts = {name: _Part.of(data) for name, data in _parts(bookings_workbook(path)).items()}
    empty = _Part.of(b"")
    parts.update((f"xl/media/empty{n}.bin", empty) for n in range(extra_parts))
    return _write_zip(path, parts)


def workbook_with_sheet(path: Path, sheet_xml: bytes) -> Path:
    """A bookings workbook whose sheet XML is replaced by `sheet_xml`."""
    parts = _parts(bookings_workbook(path))
    parts[SHEET] = sheet_xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _inline(reference: str, value: object) -> str:
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def _cells(number: int, values: tuple) -> str:
    return "".join(_inline(f"{c}{number}", v) for c, v in zip("ABCDEFG", values, strict=True))


def long_cell_workbook(path: Path, characters: int) -> Path:
    """A good booking on row 2; on row 3 a booking_id longer than Excel lets a cell be."""
    long_row = ("b" * characters, *BOOKING_ROW[1:])
    xml = (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
        f'<row r="1">{_cells(1, BOOKING_HEADER)}</row>'
        f'<row r="2">{_cells(2, BOOKING_ROW)}</row>'
        f'<row r="3">{_cells(3, long_row)}</row>'
        "</sheetData></worksheet>"
    )
    return workbook_with_sheet(path, xml.encode())


def huge_dimension_workbook(path: Path) -> Path:
    """One good booking, in a sheet that claims all of Excel's 16,384 x 1,048,576 cells.

    Its header has a cell in the last column, and cells sit in the last row and far past it.
    """
    xml = (
        f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{_cells(1, BOOKING_HEADER)}{_inline("XFD1", "wide")}</row>'
        f'<row r="2">{_cells(2, BOOKING_ROW)}</row>'
        f'<row r="1048576">{_inline("XFD1048576", 1)}</row>'
        f'<row r="4000000000">{_inline("A4000000000", 1)}</row>'
        "</sheetData></worksheet>"
    )
    return workbook_with_sheet(path, xml.encode())
