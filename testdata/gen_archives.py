"""Archive member paths and links (rule MV305), written by the real archivers: Python's
zipfile and tarfile (CPython 3.11) and py7zr. Imported by generate.py."""

import io
import os
import pathlib
import pickle
import tarfile
import tempfile
import zipfile

# A benign pickle: the members' content is not what these fixtures are about.
PAYLOAD = pickle.dumps({"weights": [1.0, 2.0]}, protocol=2)


def zip_with(members) -> bytes:
    """members: (name, data, unix_mode or None). A mode makes the entry Unix-made, as
    Info-ZIP writes it; a symlink's data is its target."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            if mode is not None:
                info.create_system = 3
                info.external_attr = mode << 16
            z.writestr(info, data)
    return buf.getvalue()


def tar_with(members) -> bytes:
    """members: (name, type, linkname, data)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, link, data in members:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.linkname = link
            ti.size = len(data)
            ti.mtime = 0
            ti.mode = 0o777 if kind == tarfile.SYMTYPE else 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


def sevenz_with(files, links) -> bytes:
    """files: (arcname, data); links: (arcname, target), stored as symlinks by py7zr from a
    real link on disk."""
    import py7zr
    from py7zr.helpers import ArchiveTimestamp

    fixed = ArchiveTimestamp.from_datetime(315532800.0)
    saved = ArchiveTimestamp.__dict__["from_now"]
    ArchiveTimestamp.from_now = classmethod(lambda cls: cls(fixed))
    try:
        with tempfile.TemporaryDirectory(prefix="modelvet-7z-") as tmp:
            buf = io.BytesIO()
            with py7zr.SevenZipFile(buf, mode="w") as z:
                # Links first: py7zr compares a new link with the origin of earlier
                # members, which members written from bytes do not have.
                for i, (arcname, target) in enumerate(links):
                    link = pathlib.Path(tmp) / f"link{i}"
                    if not os.path.isabs(target):
                        # py7zr reads a link only when its target exists.
                        (pathlib.Path(tmp) / target).write_bytes(b"")
                    os.symlink(target, link)
                    os.utime(link, (315532800, 315532800), follow_symlinks=False)
                    z.write(link, arcname)
                for arcname, data in files:
                    # writestr refuses `..` names on the writer's side; its own _writestr
                    # stores the name as given, as a crafted archive would.
                    z._writestr(data, arcname)
            out = buf.getvalue()
    finally:
        ArchiveTimestamp.from_now = saved
    return out


def generate(r):
    s_iflnk, s_ifreg = 0o120777, 0o100644
    r.finding("formats/archive_zip_traversal.zip",
              zip_with([("../escape.pkl", PAYLOAD, None), ("ok/model.pkl", PAYLOAD, None)]),
              ["MV305"], "zipfile: member `../escape.pkl` climbs out of the extraction directory")
    r.finding("formats/archive_zip_windows_paths.zip",
              zip_with([("C:\\Users\\x\\model.pkl", PAYLOAD, None),
                        ("..\\..\\startup.pkl", PAYLOAD, None)]),
              ["MV305"], "zipfile: a drive-letter name and a backslash `..` name, which Windows "
              "extractors write outside the target")
    r.finding("formats/archive_zip_symlink_escape.zip",
              zip_with([("weights", "/etc".encode(), s_iflnk),
                        ("sub/up", "../../outside".encode(), s_iflnk),
                        ("model.pkl", PAYLOAD, s_ifreg)]),
              ["MV305"], "zipfile, Unix-made entries: symlinks to `/etc` and `../../outside`, "
              "which unzip creates as links out of the target")
    r.benign("benign/archive_zip_symlink_inside.zip",
             zip_with([("model.pkl", PAYLOAD, s_ifreg), ("latest", b"model.pkl", s_iflnk)]),
             "zipfile, Unix-made: a symlink `latest` to a member beside it")
    r.finding("formats/archive_tar_links_escape.tar",
              tar_with([("model.pkl", tarfile.REGTYPE, "", PAYLOAD),
                        ("a/cfg", tarfile.SYMTYPE, "../../etc/passwd", b""),
                        ("hard", tarfile.LNKTYPE, "/etc/shadow", b""),
                        ("up/hard2", tarfile.LNKTYPE, "../x", b"")]),
              ["MV305"], "tarfile: a symlink climbing out, a hard link to an absolute path, a hard "
              "link above the root")
    r.finding("formats/archive_tar_backslash.tar",
              tar_with([("..\\evil.pkl", tarfile.REGTYPE, "", PAYLOAD)]),
              ["MV305"], "tarfile: a member named `..\\evil.pkl`, a climb on Windows")
    r.benign("benign/archive_tar_links_inside.tar",
             tar_with([("m/model.pkl", tarfile.REGTYPE, "", PAYLOAD),
                       ("m/latest", tarfile.SYMTYPE, "model.pkl", b""),
                       ("m/sub/up", tarfile.SYMTYPE, "../model.pkl", b""),
                       ("copy.pkl", tarfile.LNKTYPE, "m/model.pkl", b"")]),
             "tarfile: symlinks and a hard link that stay inside the archive")
    r.finding("formats/archive_7z_traversal.7z",
              sevenz_with([("../escape.pkl", PAYLOAD), ("model.pkl", PAYLOAD)],
                          [("cfg", "/etc/passwd")]),
              ["MV305"], "py7zr: member `../escape.pkl` and a symlink to `/etc/passwd`")
    r.benign("benign/archive_7z_symlink_inside.7z",
             sevenz_with([("model.pkl", PAYLOAD)], [("latest", "model.pkl")]),
             "py7zr: a symlink `latest` to a member beside it")
