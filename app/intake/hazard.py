"""Which attachments are hazardous, and why: decided from the bytes and the name alone.

Nothing is executed, unpickled or extracted: magic numbers are compared, a zip's central
directory is read (with at most a few KB of a member), a pickle's opcodes are walked by
``pickletools`` (which parses, never loads). The reasons are stable codes stored with the
attachment; ``describe`` gives each one's translated label for display.
"""

from __future__ import annotations

import io
import pickletools
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from i18n import N_, _

# Reason codes, most telling first (the first one found is also the attachment's kind).
TEST_SIGNATURE = "test-signature"
EXECUTABLE = "executable"
SCRIPT = "script"
PICKLE = "pickle"
MODEL_CODE = "model-code"
OFFICE_MACRO = "office-macro"
ARCHIVE_BOMB = "archive-bomb"
ARCHIVE = "archive"
MISMATCHED_EXTENSION = "mismatched-extension"
HOSTILE_NAME = "hostile-name"
# Not found in the bytes: a partner's bundle said so (kept; our own checks are added to it).
PARTNER_FLAGGED = "partner-flagged"
ORDER = (
    TEST_SIGNATURE,
    EXECUTABLE,
    SCRIPT,
    PICKLE,
    MODEL_CODE,
    OFFICE_MACRO,
    ARCHIVE_BOMB,
    ARCHIVE,
    MISMATCHED_EXTENSION,
    HOSTILE_NAME,
    PARTNER_FLAGGED,
)
LABELS = {
    TEST_SIGNATURE: N_("antivirus test signature (EICAR)"),
    EXECUTABLE: N_("executable program"),
    SCRIPT: N_("script or active content"),
    PICKLE: N_("Python pickle: runs code when loaded"),
    MODEL_CODE: N_("model file that carries code (a Keras Lambda layer)"),
    OFFICE_MACRO: N_("Office document with macros or embedded objects"),
    ARCHIVE_BOMB: N_("archive that expands far beyond its size (zip bomb)"),
    ARCHIVE: N_("archive: its contents are not checked"),
    MISMATCHED_EXTENSION: N_("content does not match the file name's extension"),
    HOSTILE_NAME: N_("hostile file name (path, control or direction-override characters)"),
    PARTNER_FLAGGED: N_("flagged hazardous by the partner that sent it"),
}

# A member that expands more than this many times, or an archive past this total, is a bomb
# (the same figures the walker refuses archives of documents at: app/intake/model.py Limits).
BOMB_RATIO = 100
BOMB_TOTAL = 500 * 1024 * 1024
# Larger inputs are checked for pickle opcodes by their first bytes only (a pure-Python walk).
PICKLE_WALK_MAX = 1024 * 1024
ZIP_MEMBER_PEEK = 64 * 1024

# Magic numbers: (offset, bytes, family), each from its format's specification.
MAGIC: tuple[tuple[int, bytes, str], ...] = (
    # PE/COFF specification, "MS-DOS Stub": every image starts with the DOS signature "MZ".
    (0, b"MZ", "pe"),
    # System V ABI, ELF header e_ident[EI_MAG0..EI_MAG3].
    (0, b"\x7fELF", "elf"),
    # <mach-o/loader.h> MH_MAGIC, MH_CIGAM, MH_MAGIC_64, MH_CIGAM_64.
    (0, b"\xfe\xed\xfa\xce", "macho"),
    (0, b"\xce\xfa\xed\xfe", "macho"),
    (0, b"\xfe\xed\xfa\xcf", "macho"),
    (0, b"\xcf\xfa\xed\xfe", "macho"),
    # <mach-o/fat.h> FAT_MAGIC, which is also a Java class file's magic (JVM spec 4.1).
    (0, b"\xca\xfe\xba\xbe", "macho"),
    # PKWARE APPNOTE.TXT 4.3.7 (local header), 4.3.16 (empty archive), 8.5.3 (spanned).
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"PK\x07\x08", "zip"),
    # 7-Zip 7zFormat.txt, SignatureHeader.
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    # RAR 4.x technote marker block; RAR 5.0 format, general archive layout.
    (0, b"Rar!\x1a\x07\x00", "rar"),
    (0, b"Rar!\x1a\x07\x01\x00", "rar"),
    # RFC 1952 2.3.1, ID1 ID2.
    (0, b"\x1f\x8b", "gzip"),
    # bzip2 stream header "BZh" (bzip2 format specification, 2.1).
    (0, b"BZh", "bzip2"),
    # The .xz File Format 2.1.1.1, Header Magic Bytes.
    (0, b"\xfd7zXZ\x00", "xz"),
    # RFC 8878 3.1.1, Magic_Number 0xFD2FB528 little-endian.
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    # [MS-CAB] 2.1, CFHEADER signature.
    (0, b"MSCF", "cab"),
    # POSIX.1-2017 pax, ustar header: magic "ustar" at offset 257.
    (257, b"ustar", "tar"),
    # ECMA-119 8.4: the volume descriptor at 0x8000 has the identifier "CD001" at byte 1.
    (0x8001, b"CD001", "iso"),
    # [MS-CFB] 2.2, compound file header signature (legacy Office, .msg, .msi).
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    # ISO 32000-1 7.5.2, file header.
    (0, b"%PDF-", "pdf"),
    # PNG (ISO/IEC 15948) 5.2, PNG signature.
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    # ITU-T T.81 B.1.1.3: SOI marker followed by another marker.
    (0, b"\xff\xd8\xff", "jpeg"),
    # GIF89a specification, 17. Header.
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    # HDF5 File Format Specification, Format Signature (the superblock at offset 0).
    (0, b"\x89HDF\r\n\x1a\n", "hdf5"),
    # NEP 1 / numpy.lib.format: "\x93NUMPY" then the format version.
    (0, b"\x93NUMPY", "npy"),
    # GGUF specification: the file starts with the magic "GGUF".
    (0, b"GGUF", "gguf"),
    # RTF 1.9.1 specification: a document starts with the "{\rtf" control word.
    (0, b"{\\rtf", "rtf"),
    # Script shebang (execve(2): "#!" interpreter line).
    (0, b"#!", "script"),
)
EXECUTABLE_FAMILIES = frozenset({"pe", "elf", "macho"})
ARCHIVE_FAMILIES = frozenset(
    {"zip", "7z", "rar", "gzip", "bzip2", "xz", "zstd", "cab", "tar", "iso"}
)


def _exts(words: str) -> frozenset[str]:
    return frozenset("." + w for w in words.split())


EXECUTABLE_SUFFIXES = _exts(
    "exe dll sys scr com cpl ocx msi msp msix appx efi so dylib elf jar class apk app dmg pkg"
    " deb rpm lnk pif gadget xll"
)
SCRIPT_SUFFIXES = _exts(
    "bat cmd ps1 psm1 psd1 vbs vbe js jse mjs wsf wsh hta sh bash zsh ksh csh command py pyw"
    " pyc pl rb php lua applescript scpt reg scf inf desktop url"
)
PICKLE_SUFFIXES = _exts("pkl pickle joblib dill pt pth ckpt")
MACRO_SUFFIXES = _exts("docm dotm xlsm xltm xlam xlsb pptm potm ppam ppsm")
# Zips that are documents, not archives, when their directory says so too.
CONTAINER_SUFFIXES = _exts("docx xlsx pptx docm xlsm pptm dotx xltx potx odt ods odp odg epub")
ARCHIVE_SUFFIXES = _exts("zip 7z rar gz tgz bz2 tbz2 xz txz zst tar cab iso img lz lzma z")
# What a name's extension promises its content is; a recognised family outside it is a lie.
_TEXT: frozenset[str] = frozenset()
EXPECTED: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"pdf"}),
    ".png": frozenset({"png"}),
    ".jpg": frozenset({"jpeg"}),
    ".jpeg": frozenset({"jpeg"}),
    ".gif": frozenset({"gif"}),
    ".rtf": frozenset({"rtf"}),
    ".doc": frozenset({"ole"}),
    ".xls": frozenset({"ole"}),
    ".ppt": frozenset({"ole"}),
    ".msg": frozenset({"ole"}),
    ".h5": frozenset({"hdf5"}),
    ".hdf5": frozenset({"hdf5"}),
    ".npy": frozenset({"npy"}),
    ".gguf": frozenset({"gguf"}),
    ".safetensors": frozenset({"safetensors"}),
    ".pt": frozenset({"zip", "pickle"}),
    ".pth": frozenset({"zip", "pickle"}),
    ".pkl": frozenset({"pickle"}),
    ".exe": frozenset({"pe"}),
    ".dll": frozenset({"pe"}),
    ".so": frozenset({"elf"}),
    ".dylib": frozenset({"macho"}),
    ".gz": frozenset({"gzip"}),
    ".tgz": frozenset({"gzip"}),
    ".7z": frozenset({"7z"}),
    ".rar": frozenset({"rar"}),
    ".bz2": frozenset({"bzip2"}),
    ".xz": frozenset({"xz"}),
    ".zst": frozenset({"zstd"}),
    ".tar": frozenset({"tar"}),
    ".cab": frozenset({"cab"}),
    ".iso": frozenset({"iso"}),
    **dict.fromkeys(
        _exts("zip jar apk docx xlsx pptx docm xlsm pptm odt ods odp epub keras npz"),
        frozenset({"zip"}),
    ),
    **dict.fromkeys(
        _exts("txt md markdown csv tsv json yaml yml xml log ini cfg toml eml asc diff patch")
        | _exts("html htm svg"),
        _TEXT,
    ),
}
ACTIVE_SUFFIXES = _exts("html htm xhtml xht svg shtml")

# The EICAR test file (eicar.org, "Anti-Malware Testfile"): its marker and its opening.
EICAR_MARKERS = (b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE", b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$")
_ACTIVE = re.compile(rb"<\s*script|javascript\s*:|\son[a-z]+\s*=", re.IGNORECASE)
# A Keras layer config naming the Lambda class (its function is marshalled Python code).
_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')
# An npy header dtype of kind "O" (object: the array is pickled; numpy.lib.format).
_NPY_OBJECT = re.compile(r"""['"][<>|=]?O\d*['"]""")
# Bidirectional overrides, embeddings and isolates (Unicode TR9, 2.1-2.6): a name that reads
# "invoice\u202efdp.exe" shows as "invoiceexe.pdf".
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Names Windows maps to devices whatever their extension (Win32 naming conventions).
_DEVICE_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)


@dataclass(frozen=True)
class Hazard:
    """Why an attachment is hazardous (empty: it is not)."""

    reasons: tuple[str, ...] = ()

    @property
    def hazardous(self) -> bool:
        return bool(self.reasons)

    @property
    def kind(self) -> str | None:
        """The most telling reason, kept as the attachment's hazard kind."""
        return self.reasons[0] if self.reasons else None


def union(found: Hazard, claimed: object, flagged: bool) -> Hazard:
    """Our own findings joined with the reason codes a partner sent (``claimed``; codes we do
    not know are dropped): a partner can add a hazard, never remove
    one. A partner's flag without a reason we know is kept as PARTNER_FLAGGED."""
    theirs = (
        {r for r in claimed if isinstance(r, str) and r in LABELS}
        if isinstance(claimed, list | tuple)
        else set()
    )
    if flagged and not theirs:
        theirs.add(PARTNER_FLAGGED)
    every = set(found.reasons) | theirs
    return Hazard(tuple(r for r in ORDER if r in every))


def describe(reason: str) -> str:
    """A reason code's label in the current language (an unknown code as it is)."""
    label = LABELS.get(reason)
    return _(label) if label is not None else reason


def classify(filename: str, content: bytes) -> Hazard:
    """The reasons ``content`` stored under ``filename`` is hazardous to open or pass on."""
    found: set[str] = set()
    # The last extension is what the system opens a file by ("x.pdf.exe" runs, while
    # "example.com.txt" is text); the others do not count.
    ext = _extension(filename)
    family = _family(content)
    if hostile_name(filename):
        found.add(HOSTILE_NAME)
    if any(marker in content for marker in EICAR_MARKERS):
        found.add(TEST_SIGNATURE)
    if family in EXECUTABLE_FAMILIES or ext in EXECUTABLE_SUFFIXES:
        found.add(EXECUTABLE)
    if family == "script" or ext in SCRIPT_SUFFIXES:
        found.add(SCRIPT)
    if ext in ACTIVE_SUFFIXES and _ACTIVE.search(content):
        found.add(SCRIPT)
    if family == "pickle" or ext in PICKLE_SUFFIXES:
        found.add(PICKLE)
    if ext in MACRO_SUFFIXES:
        found.add(OFFICE_MACRO)
    # A zip's directory tells whether it is an archive or a document or model (below).
    if family in ARCHIVE_FAMILIES - {"zip"} or ext in ARCHIVE_SUFFIXES:
        found.add(ARCHIVE)
    if family == "zip":
        found |= _zip_reasons(content, ext)
    elif family == "gzip" and _gzip_bomb(content):
        found.add(ARCHIVE_BOMB)
    elif family == "ole" and _ole_macro(content):
        found.add(OFFICE_MACRO)
    elif family == "hdf5" and _LAMBDA.search(content):
        found.add(MODEL_CODE)
    elif family == "npy" and _npy_object(content):
        found.add(PICKLE)
    expected = EXPECTED.get(ext)
    if expected is not None and family is not None and family not in expected:
        found.add(MISMATCHED_EXTENSION)
    return Hazard(tuple(r for r in ORDER if r in found))


def hostile_name(filename: str) -> bool:
    """A name that climbs out of a folder, names a path or device, or hides what it is."""
    if not filename or filename in (".", ".."):
        return True
    if any(ch in _BIDI for ch in filename):
        return True
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in filename):
        return True  # NUL, other control characters, invisible format characters
    if any(ch in filename for ch in "/\\:"):
        return True  # a path, a drive ("C:x") or an NTFS alternate data stream ("x:y")
    if filename != filename.strip() or filename.endswith("."):
        return True  # Windows drops trailing dots and spaces: "x.exe." runs as "x.exe"
    return filename.split(".")[0].lower() in _DEVICE_NAMES


def safe_name(filename: str) -> str:
    """A name to save an attachment under: its last part, without control, format or
    direction characters, separators or a device name (the stored name stays as evidence)."""
    base = re.split(r"[/\\]", filename)[-1]
    cleaned = "".join(
        "_" if unicodedata.category(ch)[0] == "C" or ch in ':<>"|?*' else ch for ch in base
    ).strip(" .")
    if not cleaned:
        return "attachment"
    return "_" + cleaned if cleaned.split(".")[0].lower() in _DEVICE_NAMES else cleaned


def shown_name(filename: str) -> str:
    """The name for display: control, format and direction characters shown as escapes, so
    that "invoice\u202efdp.exe" cannot pass for "invoiceexe.pdf"."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch
        for ch in filename
    )


def _extension(filename: str) -> str:
    base = re.split(r"[/\\]", filename)[-1]
    # Trailing dots, spaces and invisible characters hide the real extension from a reader.
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").rstrip(". ")
    return PurePosixPath(base).suffix.lower()


def _family(content: bytes) -> str | None:
    for offset, magic, family in MAGIC:
        if content[offset : offset + len(magic)] == magic:
            return family
    if _is_pickle(content):
        return "pickle"
    # safetensors: an 8-byte little-endian header length, then the JSON header.
    if len(content) > 9 and content[8:9] == b"{":
        size = int.from_bytes(content[:8], "little")
        if 0 < size <= len(content) - 8 and content[8 + size - 1 : 8 + size] == b"}":
            return "safetensors"
    return None


def _is_pickle(content: bytes) -> bool:
    """A pickle stream: PROTO 2-5 first (pickletools: "protocol 2+ pickles start with
    PROTO"), or (protocols 0 and 1) opcodes that parse to a STOP on the last byte."""
    if len(content) >= 2 and content[0] == 0x80 and 2 <= content[1] <= 5:
        return True
    if not content or content[-1:] != b"." or len(content) > PICKLE_WALK_MAX:
        return False
    try:
        last = -1
        for _op, _arg, pos in pickletools.genops(content):
            last = pos if pos is not None else last
    except Exception:  # not opcodes from start to end: not a pickle
        return False
    return last == len(content) - 1


def _zip_reasons(content: bytes, ext: str) -> set[str]:
    """What a zip's directory (and a peek at a few members) tells: pickles inside (PyTorch
    ``data.pkl``), macros, Keras Lambda layers, object arrays, bombs; a plain zip is an
    archive, an Office or OpenDocument file is not."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except Exception:
        return {ARCHIVE}
    found: set[str] = set()
    names = [i.filename.lower() for i in infos]
    container = ext in CONTAINER_SUFFIXES and (
        "[content_types].xml" in names or "mimetype" in names
    )
    keras = ext == ".keras" and "config.json" in names
    npz = ext == ".npz" and all(n.endswith(".npy") for n in names)
    total = 0
    for info, name in zip(infos, names, strict=True):
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > BOMB_RATIO:
            found.add(ARCHIVE_BOMB)
        suffix = PurePosixPath(name).suffix
        if suffix in (".pkl", ".pickle") or name.endswith("data.pkl"):
            found.add(PICKLE)
        elif name.endswith("vbaproject.bin") or "/embeddings/" in name:
            found.add(OFFICE_MACRO)
        elif suffix in EXECUTABLE_SUFFIXES:
            found.add(EXECUTABLE)
        elif suffix in SCRIPT_SUFFIXES:
            found.add(SCRIPT)
        elif (npz and suffix == ".npy") or (keras and name == "config.json"):
            head = _peek(zf, info)
            if (suffix == ".npy" and _npy_object(head)) or _LAMBDA.search(head):
                found.add(PICKLE if suffix == ".npy" else MODEL_CODE)
    if total > BOMB_TOTAL:
        found.add(ARCHIVE_BOMB)
    if not (container or keras or npz or PICKLE in found):
        found.add(ARCHIVE)
    return found


def _peek(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as fh:
            return fh.read(ZIP_MEMBER_PEEK)
    except Exception:
        return b""


def _gzip_bomb(content: bytes) -> bool:
    # RFC 1952 2.3.1: ISIZE, the last four bytes, is the input size modulo 2**32.
    if len(content) < 18:
        return False
    size = int.from_bytes(content[-4:], "little")
    return size > BOMB_TOTAL or size / len(content) > BOMB_RATIO


def _ole_macro(content: bytes) -> bool:
    # [MS-OVBA] 2.2: a VBA project lives in a "VBA" storage with a "_VBA_PROJECT" stream;
    # [MS-OLEDS] 2.3.6: "\x01Ole10Native" carries an embedded (packaged) file. Directory
    # entry names are UTF-16LE ([MS-CFB] 2.6.1).
    return any(
        name.encode("utf-16-le") in content for name in ("_VBA_PROJECT", "Macros", "Ole10Native")
    )


def _npy_object(content: bytes) -> bool:
    # numpy.lib.format: magic, major, minor, then a 2-byte (v1) or 4-byte (v2, v3) header
    # length and the header, a Python dict literal naming the dtype ("descr").
    if len(content) < 10 or not content.startswith(b"\x93NUMPY"):
        return False
    if content[6] == 1:
        size, start = int.from_bytes(content[8:10], "little"), 10
    else:
        size, start = int.from_bytes(content[8:12], "little"), 12
    header = content[start : start + size].decode("latin-1")
    return bool(_NPY_OBJECT.search(header))
