"""Write the files of tests/bad_inputs/binary/: encodings and bytes a text editor cannot show.

Each is made from a text file of the corpus (or from literal bytes), so the binary files can be
regenerated and reviewed: `python tests/bad_inputs/make_binary.py`. Their expectations are in
binary/expectations.yaml, since a first-line comment cannot be read from a file that will not
decode. The generated files are committed; tests/test_bad_inputs.py checks they are current.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "binary"


def text(rel: str) -> str:
    return (HERE / rel).read_text("utf-8")


def files() -> dict[str, bytes]:
    """name -> bytes."""
    small_facts = text("_support/small-facts.yaml")
    return {
        # GBK / GB18030 are read (Windows editors in China save them); the error inside is found
        # at the right line, and the source line is shown decoded.
        "gbk-policy-children-points.yaml": text("policy/sem-children-points.yaml").encode("gbk"),
        "gbk-facts-ambiguous-percent.yaml": text("facts/facts-ambiguous-percent.yaml").encode("gbk"),
        "gb18030-facts-unknown-key.yaml": text("facts/facts-unknown-key.yaml").encode("gb18030"),
        # a byte-order mark is skipped: lines and columns are as without it
        "utf8-bom-policy-root-points.yaml": b"\xef\xbb\xbf" + text("policy/sem-root-points.yaml").encode("utf-8"),
        "utf8-bom-facts-yaml11.yaml": b"\xef\xbb\xbf" + text("facts/facts-yaml11-no-in-count.yaml").encode("utf-8"),
        "utf16-bom-facts-missing-required.yaml": text("facts/facts-missing-required.yaml").encode("utf-16"),
        # Windows line ends: lines and columns as with \n
        "crlf-facts-wrong-type-boolean.yaml": text("facts/facts-wrong-type-boolean.yaml").replace("\n", "\r\n").encode("utf-8"),
        # bytes that are no text at all
        "undecodable-bytes.yaml": b"id: x\ntitle: \x80\xff\xfe\x81\n",
        "latin1-title.yaml": "id: test/x/2023\ntitle: caf\xe9 : d\xe9j\xe0 vu\n".encode("latin-1"),
        "nul-bytes.yaml": b"department: x\x00\x00\nfacts: {}\n",
        "utf16-without-bom.yaml": small_facts.encode("utf-16-le"),
        # UTF-8 with a line pasted from a GBK file
        "mixed-utf8-gbk.yaml": small_facts.encode("utf-8").replace("满意度: 92%".encode("utf-8"),
                                                                   "满意度: 92%".encode("gbk")),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, data in files().items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files())} files to {OUT}")


if __name__ == "__main__":
    main()
