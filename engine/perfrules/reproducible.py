"""The same input, the same bytes, for documents too: a .docx or .xlsx is a zip whose members
carry the time they were written, and whose core properties say when it was created and
modified. Both are set to one fixed time here: SOURCE_DATE_EPOCH when the environment gives it
(the reproducible-builds convention), else the zip format's own epoch, 1980-01-01 00:00 UTC.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from datetime import datetime, timezone
from typing import BinaryIO


def when() -> datetime:
    """The fixed time every document and workbook is stamped with (UTC, whole seconds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = min(int(epoch), _ZIP_LAST) if epoch.isdigit() and len(epoch) <= 12 else 0
    return max(datetime.fromtimestamp(seconds, timezone.utc), datetime(1980, 1, 1, tzinfo=timezone.utc))


_ZIP_LAST = 4354819199               # 2107-12-31 23:59:59 UTC: the last second a zip member can carry
_CORE = "docProps/core.xml"       # an Office document's created and modified times (OPC core properties)
_STAMPED = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def fixed_zip(data: bytes) -> bytes:
    """restamp for a document held in memory (a report, a template form)."""
    out = io.BytesIO()
    restamp(io.BytesIO(data), out)
    return out.getvalue()


def restamp(source: BinaryIO, target: BinaryIO) -> None:
    """The zip `source` (a .docx or .xlsx as python-docx or openpyxl saved it, each stamping the
    time of saving) written to `target` with every member and the core properties' created and
    modified stamped `when()`: the same members, order, contents otherwise, compression and
    permissions. Members are copied in pieces: a district's workbook is never held whole."""
    moment = when()
    stamp = moment.timetuple()[:6]
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            if info.filename == _CORE:
                dst.writestr(fixed, _STAMPED.sub(lambda m: m.group(1) + iso + m.group(3), src.read(info)))
                continue
            with src.open(info) as r, dst.open(fixed, "w", force_zip64=info.file_size >= zipfile.ZIP64_LIMIT) as w:
                shutil.copyfileobj(r, w, 1 << 20)
