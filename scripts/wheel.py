#!/usr/bin/env python3
"""scripts/wheel.py - assemble a Python wheel that carries prebuilt command binaries.

Called by scripts/dist; standard library only. The wheel holds no Python code:

    <name>-<version>.data/scripts/<command>     every binary: pip puts them on PATH
    <name>-<version>.data/data/share/...         man pages and shell completions, installed
                                                 under the environment's prefix (a venv,
                                                 ~/.local with --user, /usr/local)
    <name>-<version>.dist-info/                  METADATA (the README), WHEEL, RECORD,
                                                 licenses/

This is what maturin's `bindings = "bin"` produces for the binaries of ONE Cargo package;
the workspace's commands live in several packages, so scripts/dist builds them with one
`cargo build` and this script packs them (see scripts/dist for why).

The platform tag is read from the binaries themselves: on Linux, the newest GLIBC_x.y
symbol version any of them needs gives manylinux_2_<y>_<arch>, and every shared library
they link must be one the manylinux policy allows (libc, libm, libgcc_s, ...); a static
binary gets musllinux_1_2 and manylinux_2_17 (it runs on either). Elsewhere the tag is
Python's platform (macosx_11_0_arm64, win_amd64). --plat-name overrides it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import struct
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

# Libraries a manylinux wheel may link without carrying them (PEP 600 / auditwheel policy).
MANYLINUX_LIBS = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
    "libgcc_s.so.1", "libutil.so.1", "libcrypt.so.1", "libnsl.so.1", "libresolv.so.2",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux-armhf.so.3",
    "ld-linux.so.2", "ld64.so.2",
}
ELF_ARCH = {62: "x86_64", 183: "aarch64", 3: "i686", 40: "armv7l", 21: "ppc64le", 22: "s390x"}


class WheelError(Exception):
    pass


def elf_needs(path: Path) -> tuple[str, set[str], set[tuple[int, int]]]:
    """The architecture, the NEEDED libraries and the GLIBC_x.y versions of an ELF file."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        raise WheelError(f"{path}: not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(end + "H", data, 18)
    arch = ELF_ARCH.get(machine)
    if arch is None:
        raise WheelError(f"{path}: unknown ELF machine {machine}")
    if arch == "ppc64le" and end == ">":
        arch = "ppc64"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 40)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 58)
    else:
        shoff, = struct.unpack_from(end + "I", data, 32)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 46)

    def section(i: int) -> tuple[int, int, int, int, int]:
        base = shoff + i * shentsize
        if is64:
            name, kind, _flags, _addr, offset, size, link = struct.unpack_from(
                end + "IIQQQQI", data, base)
        else:
            name, kind, _flags, _addr, offset, size, link = struct.unpack_from(
                end + "IIIIIII", data, base)
        return name, kind, offset, size, link

    sections = [section(i) for i in range(shnum)]
    needed: set[str] = set()
    versions: set[tuple[int, int]] = set()

    def string(table: int, offset: int) -> str:
        _, _, start, size, _ = sections[table]
        stop = data.index(b"\0", start + offset)
        return data[start + offset:stop].decode("ascii", "replace")

    for name, kind, offset, size, link in sections:
        if kind == 6:  # SHT_DYNAMIC: DT_NEEDED entries name libraries in the linked strtab
            entry = 16 if is64 else 8
            for pos in range(offset, offset + size, entry):
                tag, value = struct.unpack_from(end + ("qQ" if is64 else "iI"), data, pos)
                if tag == 0:
                    break
                if tag == 1:
                    needed.add(string(link, value))
        elif kind == 0x6FFFFFFE:  # SHT_GNU_verneed: the symbol versions needed
            pos = offset
            while True:
                _v, count, _file, aux, nxt = struct.unpack_from(end + "HHIII", data, pos)
                apos = pos + aux
                for _ in range(count):
                    _hash, _flags, _other, vname, anext = struct.unpack_from(
                        end + "IHHII", data, apos)
                    match = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", string(link, vname))
                    if match:
                        versions.add((int(match[1]), int(match[2])))
                    if anext == 0:
                        break
                    apos += anext
                if nxt == 0:
                    break
                pos += nxt
    return arch, needed, versions


def linux_tag(binaries: list[Path]) -> str:
    arches: set[str] = set()
    newest = (2, 17)
    static = True
    for binary in binaries:
        arch, needed, versions = elf_needs(binary)
        arches.add(arch)
        foreign = sorted(needed - MANYLINUX_LIBS)
        if foreign:
            raise WheelError(
                f"{binary.name} links {', '.join(foreign)}, which a manylinux wheel may not "
                "expect on the system; build without it (reqwest uses rustls here) or pass "
                "--plat-name linux_<arch> for a wheel for this machine only")
        if needed:
            static = False
        if versions:
            newest = max(newest, max(versions))
    if len(arches) != 1:
        raise WheelError(f"binaries of several architectures: {sorted(arches)}")
    arch = arches.pop()
    if static:
        return f"manylinux_2_17_{arch}.musllinux_1_2_{arch}"
    return f"manylinux_{newest[0]}_{newest[1]}_{arch}"


def platform_tag(binaries: list[Path]) -> str:
    if sys.platform.startswith("linux"):
        return linux_tag(binaries)
    plat = sysconfig.get_platform()
    if sys.platform == "darwin":
        # macosx-11.0-arm64 -> macosx_11_0_arm64
        _, release, machine = plat.split("-", 2)
        major, minor = (release.split(".") + ["0"])[:2]
        return f"macosx_{major}_{minor}_{machine}"
    return plat.replace("-", "_").replace(".", "_")


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata(args: argparse.Namespace) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {args.name}",
        f"Version: {args.version}",
        f"Summary: {args.summary}",
        f"License: {args.license}",
        "Requires-Python: >=3.7",
    ]
    for label, url in args.project_url:
        lines.append(f"Project-URL: {label}, {url}")
    for classifier in args.classifier:
        lines.append(f"Classifier: {classifier}")
    lines.append("Description-Content-Type: text/markdown")
    body = Path(args.readme).read_text(encoding="utf-8") if args.readme else ""
    return "\n".join(lines) + "\n\n" + body


def build(args: argparse.Namespace) -> Path:
    binaries = [Path(b) for b in args.bin]
    for binary in binaries:
        if not binary.is_file():
            raise WheelError(f"{binary}: no such binary (did the build run?)")
    tag = args.plat_name or platform_tag(binaries)
    dist = re.sub(r"[-_.]+", "_", args.name).lower()
    stem = f"{dist}-{args.version}"
    data_dir = f"{stem}.data"
    info_dir = f"{stem}.dist-info"

    entries: list[tuple[str, bytes, int]] = []   # (path in wheel, content, unix mode)
    for binary in binaries:
        entries.append((f"{data_dir}/scripts/{binary.name}", binary.read_bytes(), 0o755))
    for spec in args.data:
        source, _, target = spec.partition("=")
        root = Path(source)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            inside = target if not root.is_dir() else f"{target}/{file.relative_to(root).as_posix()}"
            entries.append((f"{data_dir}/data/{inside}", file.read_bytes(), 0o644))
    for license_file in args.license_file:
        path = Path(license_file)
        entries.append((f"{info_dir}/licenses/{path.name}", path.read_bytes(), 0o644))
    entries.append((f"{info_dir}/METADATA", metadata(args).encode("utf-8"), 0o644))
    wheel = (
        "Wheel-Version: 1.0\n"
        "Generator: kiwitcms-rs scripts/wheel.py\n"
        "Root-Is-Purelib: false\n"
        + "".join(f"Tag: py3-none-{t}\n" for t in tag.split("."))
    )
    entries.append((f"{info_dir}/WHEEL", wheel.encode("ascii"), 0o644))

    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data, _ in entries)
    record += f"{info_dir}/RECORD,,\n"
    entries.append((f"{info_dir}/RECORD", record.encode("utf-8"), 0o644))

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{stem}-py3-none-{tag}.whl"
    # The same inputs give the same bytes: fixed dates (SOURCE_DATE_EPOCH if set).
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    date = time.gmtime(max(epoch, 315532800))[:6]
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path, data, mode in entries:
            info = zipfile.ZipInfo(path, date_time=date)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--summary", default="")
    parser.add_argument("--license", default="")
    parser.add_argument("--readme")
    parser.add_argument("--license-file", action="append", default=[])
    parser.add_argument("--project-url", nargs=2, action="append", default=[],
                        metavar=("LABEL", "URL"))
    parser.add_argument("--classifier", action="append", default=[])
    parser.add_argument("--bin", action="append", default=[], required=True,
                        help="a binary to install as a command (repeat)")
    parser.add_argument("--data", action="append", default=[],
                        help="SOURCE=TARGET: a file or directory installed under the prefix "
                             "at TARGET (e.g. target/dist/man=share/man)")
    parser.add_argument("--plat-name", help="the platform tag instead of the binaries' own")
    parser.add_argument("--out", default="target/wheels")
    args = parser.parse_args()
    try:
        print(build(args))
    except WheelError as e:
        print(f"scripts/wheel.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
