"""Differential test of the TOML reader (Sources/TOML) against Python's tomllib.

Several thousand documents, made with a fixed seed: valid documents from a grammar-based
generator, and mutations of those and of toml-test's valid documents (byte flips, deletions,
insertions of quotes, brackets, line breaks, NUL, invalid UTF-8...). Each goes through our
test decoder (`toml-decoder --batch`, a test-only executable printing toml-test's tagged JSON)
and through tomllib; both must accept or both refuse, and accepted documents must hold the same
values.

Where tomllib does not follow TOML 1.0, the test follows the specification (checked against
tomllib's own behaviour, Python 3.11):
- A UTF-8 byte order mark at the start: TOML files may start with one (toml-test's
  valid/utf8-bom-*.toml); tomllib refuses it, so it is given the document without it.
- Integers outside 64 bits: TOML 1.0 says a parser must refuse what it cannot hold losslessly
  and that 64-bit integers are the range to support; tomllib returns Python's unbounded ints.
  A document tomllib reads to such an integer counts as refused by tomllib.
- Year 0000 and second 60: RFC 3339, which TOML 1.0 uses for dates and times, allows both
  (time-second "00-58, 00-59, 00-60 based on leap second rules"); Python's datetime cannot
  hold them and tomllib refuses them. Where our reader accepts a document that tomllib refuses
  and our values hold such a date or time, the pair is counted as this known difference.
- Nesting: our reader refuses values nested more than 128 levels; tomllib recurses. The
  generator and the mutations stay far below that.

The decoder is $TOML_DECODER_BIN, else `toml-decoder` next to $GITLAB_OIDC_AWS_BIN, else
.build/debug/toml-decoder; the toml-test documents are in $TOML_TEST_DIR, else
../shared/toml-test next to the repository. The test fails when either is missing.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import random
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEED = 20240613
GENERATED = 1500
MUTATED_GENERATED = 1500
MUTATED_SUITE = 1500
BOM = b"\xef\xbb\xbf"


def decoder_path() -> Path:
    if os.environ.get("TOML_DECODER_BIN"):
        path = Path(os.environ["TOML_DECODER_BIN"])
    elif os.environ.get("GITLAB_OIDC_AWS_BIN"):
        path = Path(os.environ["GITLAB_OIDC_AWS_BIN"]).parent / "toml-decoder"
    else:
        path = REPO / ".build" / "debug" / "toml-decoder"
    if not path.is_file():
        pytest.fail(f"toml-decoder not found at {path}: run `swift build` or set TOML_DECODER_BIN")
    return path


def suite_documents() -> list[bytes]:
    directory = Path(os.environ.get("TOML_TEST_DIR") or REPO.parent / "shared" / "toml-test")
    listing = directory / "files-toml-1.0.0"
    if not listing.is_file():
        pytest.fail(f"the toml-test suite was not found: there is no {listing}; set TOML_TEST_DIR")
    names = [name for name in listing.read_text().split() if name.startswith("valid/") and name.endswith(".toml")]
    return [(directory / name).read_bytes() for name in names]


# --- The generator of valid documents ------------------------------------------------------

BARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
UNICODE = "éüßøñ日本語中文😀🎉ÅΩЖ\u00a0\u2028\u202e\ufeff"
ESCAPES = ["\\b", "\\t", "\\n", "\\f", "\\r", '\\"', "\\\\"]


class Generator:
    """Valid TOML 1.0 documents. Keys are fresh where they are defined, so the tables stay
    valid; the variety is in the syntax: key and string forms, escapes, numbers, dates,
    nesting, whitespace, comments, line breaks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def space(self) -> str:
        return self.rng.choice(["", " ", " ", "  ", "\t", " \t "])

    def comment(self) -> str:
        if not self.chance(0.25):
            return ""
        text = "".join(self.rng.choice("abc xyz#'\"=[]{}\t" + UNICODE) for _ in range(self.rng.randint(0, 12)))
        return self.space() + "#" + text

    def fresh(self) -> str:
        self.counter += 1
        return str(self.counter)

    def key(self) -> str:
        """A simple key whose decoded form is unique (it contains a fresh number)."""
        number = self.fresh()
        form = self.rng.random()
        if form < 0.55:
            prefix = "".join(self.rng.choice(BARE) for _ in range(self.rng.randint(0, 6)))
            return prefix + "-" + number if prefix else number
        if form < 0.85:
            body = self.basic_characters(self.rng.randint(0, 5), allow_newline_escapes=True)
            return '"' + body + "." + number + '"'
        body = "".join(self.rng.choice(BARE + " .\"#=[]" + UNICODE) for _ in range(self.rng.randint(0, 5)))
        return "'" + body + "_" + number + "'"

    def dotted_key(self, parts: int) -> str:
        return (self.space() + "." + self.space()).join(self.key() for _ in range(parts))

    def basic_characters(self, count: int, allow_newline_escapes: bool = True) -> str:
        out = []
        for _ in range(count):
            choice = self.rng.random()
            if choice < 0.5:
                out.append(self.rng.choice("abc XYZ 019 ~!@$%^&*()-+=[]{}|;:',.<>/?`#\t"))
            elif choice < 0.7:
                out.append(self.rng.choice(UNICODE))
            elif choice < 0.85:
                out.append(self.rng.choice(ESCAPES))
            elif choice < 0.95:
                scalar = self.rng.choice([0, 0x1F, 0x7F, 0xE9, 0x2028, 0xFFFF, 0xD7FF, 0xE000])
                out.append("\\u%04X" % scalar if self.chance(0.5) else "\\u%04x" % scalar)
            else:
                scalar = self.rng.choice([0x1F600, 0x10FFFF, 0x10000, 0x41])
                out.append("\\U%08X" % scalar)
        return "".join(out)

    def string(self) -> str:
        form = self.rng.random()
        if form < 0.4:
            return '"' + self.basic_characters(self.rng.randint(0, 12)) + '"'
        if form < 0.6:
            body = "".join(self.rng.choice("abc XYZ \"\\#=[]{}\t" + UNICODE) for _ in range(self.rng.randint(0, 12)))
            return "'" + body + "'"
        if form < 0.85:
            return self.multiline_basic()
        return self.multiline_literal()

    def multiline_basic(self) -> str:
        parts = ["\n" if self.chance(0.6) else ""]
        for _ in range(self.rng.randint(0, 5)):
            choice = self.rng.random()
            if choice < 0.4:
                parts.append(self.basic_characters(self.rng.randint(1, 6)))
            elif choice < 0.55:
                parts.append("\n")
            elif choice < 0.7:
                parts.append("\\" + self.rng.choice(["", " ", "\t "]) + "\n" + self.rng.choice(["", "  ", "\n  "]))
            elif choice < 0.85:
                parts.append(self.rng.choice(['"', '""']) + "x")
            else:
                parts.append("'''")
        ending = self.rng.choice(["", '"', '""'])
        return '"""' + "".join(parts) + ending + '"""'

    def multiline_literal(self) -> str:
        parts = ["\n" if self.chance(0.6) else ""]
        for _ in range(self.rng.randint(0, 5)):
            choice = self.rng.random()
            if choice < 0.5:
                parts.append("".join(self.rng.choice("ab \\\"#\t" + UNICODE) for _ in range(self.rng.randint(1, 6))))
            elif choice < 0.7:
                parts.append("\n")
            else:
                parts.append(self.rng.choice(["'", "''"]) + "y")
        ending = self.rng.choice(["", "'", "''"])
        return "'''" + "".join(parts) + ending + "'''"

    def digits(self, text: str) -> str:
        """Underscores between some digits."""
        if len(text) < 2 or not self.chance(0.3):
            return text
        out = text[0]
        for character in text[1:]:
            out += ("_" if self.chance(0.3) else "") + character
        return out

    def integer(self) -> str:
        form = self.rng.random()
        if form < 0.5:
            value = self.rng.choice([0, 1, 7, 42, 1000, 2**31, 2**53 + 1, 2**63 - 1, self.rng.randint(0, 2**63 - 1)])
            sign = self.rng.choice(["", "", "+", "-"])
            if sign == "-" and self.chance(0.1):
                return "-9223372036854775808"
            return sign + self.digits(str(value))
        value = self.rng.choice([0, 1, 255, 2**63 - 1, self.rng.randint(0, 2**63 - 1)])
        prefix, text = self.rng.choice([("0x", "%x"), ("0x", "%X"), ("0o", "%o"), ("0b", "{:b}")])
        digits = text.format(value) if "{" in text else text % value
        if self.chance(0.2):
            digits = "0" * self.rng.randint(1, 3) + digits
        return prefix + self.digits(digits)

    def float(self) -> str:
        form = self.rng.random()
        if form < 0.15:
            return self.rng.choice(["", "+", "-"]) + self.rng.choice(["inf", "nan"])
        sign = self.rng.choice(["", "", "+", "-"])
        integer = self.rng.choice(["0", "1", "3", "42", str(self.rng.randint(1, 10**12))])
        fraction = "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(1, 20)))
        exponent = self.rng.choice(["e", "E"]) + self.rng.choice(["", "+", "-"]) + self.rng.choice(
            ["0", "5", "08", "22", "308", "309", "400", "324", "330"]
        )
        if form < 0.5:
            return sign + self.digits(integer) + "." + self.digits(fraction)
        if form < 0.75:
            return sign + self.digits(integer) + exponent
        return sign + self.digits(integer) + "." + self.digits(fraction) + exponent

    def date(self) -> str:
        year = self.rng.choice([1, 1979, 2000, 2024, 9999, self.rng.randint(1, 9999)])
        month = self.rng.randint(1, 12)
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        day = self.rng.choice([1, days, self.rng.randint(1, days)])
        return "%04d-%02d-%02d" % (year, month, day)

    def time(self) -> str:
        text = "%02d:%02d:%02d" % (self.rng.randint(0, 23), self.rng.randint(0, 59), self.rng.randint(0, 59))
        if self.chance(0.4):
            text += "." + "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(1, 12)))
        return text

    def datetime(self) -> str:
        form = self.rng.random()
        if form < 0.2:
            return self.date()
        if form < 0.35:
            return self.time()
        text = self.date() + self.rng.choice(["T", "t", " "]) + self.time()
        if form < 0.55:
            return text
        if self.chance(0.4):
            return text + self.rng.choice(["Z", "z"])
        return text + self.rng.choice(["+", "-"]) + "%02d:%02d" % (self.rng.randint(0, 23), self.rng.randint(0, 59))

    def scalar(self) -> str:
        choice = self.rng.random()
        if choice < 0.35:
            return self.string()
        if choice < 0.55:
            return self.integer()
        if choice < 0.7:
            return self.float()
        if choice < 0.8:
            return self.rng.choice(["true", "false"])
        return self.datetime()

    def value(self, depth: int) -> str:
        choice = self.rng.random()
        if depth < 4 and choice < 0.12:
            return self.array(depth + 1)
        if depth < 4 and choice < 0.22:
            return self.inline_table(depth + 1)
        return self.scalar()

    def array(self, depth: int) -> str:
        elements = [self.value(depth) for _ in range(self.rng.randint(0, 4))]
        if self.chance(0.4):
            # Over several lines, with comments and maybe a trailing comma.
            body = ""
            for index, element in enumerate(elements):
                body += "\n" + self.space() + element + self.space()
                if index < len(elements) - 1 or self.chance(0.5):
                    body += ","
                body += self.comment()
            return "[" + body + "\n" + self.space() + "]"
        separator = self.space() + "," + self.space()
        trailing = separator if elements and self.chance(0.2) else ""
        return "[" + self.space() + separator.join(elements) + trailing + self.space() + "]"

    def inline_table(self, depth: int) -> str:
        entries = []
        for _ in range(self.rng.randint(0, 4)):
            key = self.dotted_key(self.rng.choice([1, 1, 1, 2, 3]))
            entries.append(key + self.space() + "=" + self.space() + self.value(depth))
        # A dotted key into a table defined by an earlier dotted key of the same inline table.
        if entries and self.chance(0.2):
            base = self.key()
            entries.append(base + "." + self.key() + " = 1")
            entries.append(base + "." + self.key() + " = 2")
        return "{" + self.space() + (self.space() + "," + self.space()).join(entries) + self.space() + "}"

    def key_values(self, count: int) -> list[str]:
        lines = []
        for _ in range(count):
            key = self.dotted_key(self.rng.choice([1, 1, 1, 1, 2, 3]))
            lines.append(self.space() + key + self.space() + "=" + self.space() + self.value(0) + self.comment())
        if self.chance(0.2):
            # Dotted keys that share their first part (one table, extended in this section).
            base = self.key()
            lines.append(base + "." + self.key() + " = " + self.scalar())
            lines.append(base + "." + self.key() + "." + self.key() + " = " + self.scalar())
        return lines

    def document(self) -> str:
        lines = ["#" + self.comment()] if self.chance(0.3) else []
        lines += self.key_values(self.rng.randint(0, 5))
        arrays: list[str] = []
        for _ in range(self.rng.randint(0, 5)):
            choice = self.rng.random()
            if choice < 0.35:
                header = "[" + self.space() + self.dotted_key(self.rng.choice([1, 1, 2, 3])) + self.space() + "]"
                lines.append(header + self.comment())
                lines += self.key_values(self.rng.randint(0, 4))
            elif choice < 0.5:
                # A table named by a longer header first, then given its own header.
                parent, child = self.key(), self.key()
                lines.append("[" + parent + "." + child + "]")
                lines += self.key_values(self.rng.randint(0, 2))
                lines.append("[" + parent + "]")
                lines += self.key_values(self.rng.randint(0, 2))
            else:
                if arrays and self.chance(0.5):
                    name = self.rng.choice(arrays)
                else:
                    name = self.dotted_key(self.rng.choice([1, 1, 2]))
                    arrays.append(name)
                for _ in range(self.rng.randint(1, 3)):
                    lines.append("[[" + self.space() + name + self.space() + "]]" + self.comment())
                    lines += self.key_values(self.rng.randint(0, 3))
                    if self.chance(0.3):
                        lines.append("[" + name + "." + self.key() + "]")
                        lines += self.key_values(self.rng.randint(0, 2))
            if self.chance(0.3):
                lines.append("")
        text = "\n".join(lines) + ("\n" if self.chance(0.8) else "")
        if self.chance(0.15):
            text = text.replace("\n", "\r\n")
        return text


# --- Mutations ----------------------------------------------------------------------------

INSERTIONS = [
    b'"', b"'", b'"""', b"'''", b"[", b"]", b"[[", b"]]", b"{", b"}", b"\n", b"\r", b"\r\n", b"\x00",
    b"\xff", b"\xc3", b"\xed\xa0\x80", b"=", b".", b",", b"#", b"\\", b"\\u", b" ", b"\t", b"_", b"0",
    b"e", b":", b"-", b"+", b"T", b"Z", b"\x7f", b"\x1b", BOM, b"\xe2\x80\xa8",
]


def mutate(rng: random.Random, document: bytes) -> bytes:
    data = bytearray(document)
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        position = rng.randint(0, len(data))
        if kind < 0.3 and data:
            index = min(position, len(data) - 1)
            data[index] = rng.choice([data[index] ^ (1 << rng.randint(0, 7)), rng.randint(0, 255)])
        elif kind < 0.55 and data:
            del data[position : position + rng.randint(1, 4)]
        else:
            data[position:position] = rng.choice(INSERTIONS)
    return bytes(data)


# --- Comparison ---------------------------------------------------------------------------


def normalized_date_time(kind: str, text: str):
    match = re.fullmatch(
        r"(?:(\d{4})-(\d{2})-(\d{2}))?[Tt ]?(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})?", text
    )
    assert match, f"unexpected date-time text {text!r}"
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    date = (int(year), int(month), int(day)) if year else None
    time = (int(hour), int(minute), int(second), int((fraction or "0")[:6].ljust(6, "0"))) if hour else None
    minutes = None
    if offset:
        minutes = 0 if offset in "Zz" else (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    return (kind, date, time, minutes)


def from_tagged(value):
    """Our decoder's tagged JSON, as comparable Python values."""
    if isinstance(value, list):
        return [from_tagged(element) for element in value]
    if set(value) == {"type", "value"} and isinstance(value["type"], str) and isinstance(value["value"], str):
        kind, text = value["type"], value["value"]
        if kind == "string":
            return ("string", text)
        if kind == "integer":
            return ("integer", int(text))
        if kind == "float":
            number = float(text)
            return ("float", "nan") if math.isnan(number) else ("float", number, math.copysign(1, number))
        if kind == "bool":
            return ("bool", text == "true")
        return normalized_date_time(kind, text)
    return {key: from_tagged(member) for key, member in value.items()}


def from_python(value):
    """tomllib's values, in the same form."""
    if isinstance(value, dict):
        return {key: from_python(member) for key, member in value.items()}
    if isinstance(value, list):
        return [from_python(element) for element in value]
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("integer", value)
    if isinstance(value, float):
        return ("float", "nan") if math.isnan(value) else ("float", value, math.copysign(1, value))
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        kind = "datetime" if offset is not None else "datetime-local"
        minutes = None if offset is None else int(offset.total_seconds() // 60)
        time = (value.hour, value.minute, value.second, value.microsecond)
        return (kind, (value.year, value.month, value.day), time, minutes)
    if isinstance(value, datetime.date):
        return ("date-local", (value.year, value.month, value.day), None, None)
    if isinstance(value, datetime.time):
        return ("time-local", None, (value.hour, value.minute, value.second, value.microsecond), None)
    raise AssertionError(f"unexpected tomllib value {value!r}")


def holds(value, predicate) -> bool:
    if isinstance(value, dict):
        return any(holds(member, predicate) for member in value.values())
    if isinstance(value, list):
        return any(holds(element, predicate) for element in value)
    return predicate(value)


def beyond_64_bits(value) -> bool:
    return value[0] == "integer" and not -(2**63) <= value[1] < 2**63


def leap_second_or_year_zero(value) -> bool:
    if value[0] not in ("datetime", "datetime-local", "date-local", "time-local"):
        return False
    _, date, time, _ = value
    return (date is not None and date[0] == 0) or (time is not None and time[2] == 60)


def tomllib_reads(document: bytes):
    """tomllib's verdict: ("ok", values) or ("error", reason)."""
    if document.startswith(BOM):
        document = document[len(BOM) :]
    try:
        values = from_python(tomllib.loads(document.decode("utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as error:
        return ("error", str(error))
    if holds(values, beyond_64_bits):
        return ("error", "an integer beyond 64 bits")
    return ("ok", values)


def decode_all(documents: list[bytes]) -> list[tuple[str, object]]:
    batch = b"".join(b"%d\n" % len(document) + document for document in documents)
    result = subprocess.run([str(decoder_path()), "--batch"], input=batch, capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = result.stdout.decode("utf-8").split("\n")[:-1]
    assert len(lines) == len(documents)
    verdicts = []
    for line in lines:
        if line.startswith("ok "):
            verdicts.append(("ok", from_tagged(json.loads(line[3:]))))
        else:
            match = re.fullmatch(r"error (\d+):(\d+): (.+)", line)
            assert match and int(match.group(1)) >= 1 and int(match.group(2)) >= 1, line
            verdicts.append(("error", match.group(3)))
    return verdicts


def corpus() -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    generator = Generator(rng)
    generated = [generator.document().encode("utf-8") for _ in range(GENERATED)]
    suite = suite_documents()
    documents = [("generated", document) for document in generated]
    documents += [("mutated generated", mutate(rng, rng.choice(generated))) for _ in range(MUTATED_GENERATED)]
    documents += [("mutated toml-test", mutate(rng, rng.choice(suite))) for _ in range(MUTATED_SUITE)]
    return documents


def test_our_reader_and_tomllib_agree():
    documents = corpus()
    ours = decode_all([document for _, document in documents])
    counts = {"accepted by both": 0, "refused by both": 0, "leap second or year 0000 (known)": 0}
    disagreements = []
    for (origin, document), (our_verdict, our_value) in zip(documents, ours):
        their_verdict, their_value = tomllib_reads(document)
        if origin == "generated" and (our_verdict, their_verdict) != ("ok", "ok"):
            disagreements.append((origin, document, f"a generated document is refused: ours {our_value!r}, tomllib {their_value!r}"))
            continue
        if our_verdict == their_verdict == "ok":
            if our_value != their_value:
                disagreements.append((origin, document, f"different values:\n ours    {our_value!r}\n tomllib {their_value!r}"))
            counts["accepted by both"] += 1
        elif our_verdict == their_verdict == "error":
            counts["refused by both"] += 1
        elif our_verdict == "ok" and holds(our_value, leap_second_or_year_zero):
            counts["leap second or year 0000 (known)"] += 1
        else:
            disagreements.append(
                (origin, document, f"ours {our_verdict}: {our_value!r}\n tomllib {their_verdict}: {their_value!r}")
            )
    print(f"\n{len(documents)} documents: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
    report = "\n\n".join(f"[{origin}] {document!r}\n {problem}" for origin, document, problem in disagreements[:10])
    assert not disagreements, f"{len(disagreements)} disagreements, the first ones:\n{report}"
    # Both outcomes must be well represented, or the test proves little.
    assert counts["accepted by both"] > len(documents) // 4
    assert counts["refused by both"] > len(documents) // 4


def test_the_comparison_sees_differences():
    """The normalisation must not make different values equal."""
    assert from_python(tomllib.loads("a = 1.0")) != from_python(tomllib.loads("a = 1"))
    assert from_python(tomllib.loads("a = -0.0")) != from_python(tomllib.loads("a = 0.0"))
    assert from_python(tomllib.loads("a = 1979-05-27")) != from_python(tomllib.loads("a = 1979-05-27T00:00:00"))
    assert from_tagged({"a": {"type": "datetime", "value": "1979-05-27T07:32:00.1234567Z"}}) == from_python(
        tomllib.loads("a = 1979-05-27 07:32:00.123456z")
    )
    assert tomllib_reads(b"a = 9223372036854775808")[0] == "error"
    assert tomllib_reads(BOM + b"a = 1")[0] == "ok"
