"""Paths the user types: where the app may read data from and write files to.

One place for the rule every import, data-file input and output path follows (issue 9):

* **Reading** (``readable_path``): the path, after symlinks and ``..`` are resolved, must lie under
  one of ``Settings.effective_import_roots()`` (``WORKBENCH_IMPORT_ROOTS``; default your home and the
  current directory), and no folder or file *below* that root may be hidden (a name starting with
  ``.``: ``.aws``, ``.ssh``, ``.git``, ``.env``…). A root that is itself hidden, or inside a hidden
  folder, allows what is below it: listing ``~/.config/data`` as a root is the explicit choice.
  Inside an imported folder, hidden files and folders are **skipped** (the catalog's crawler never
  reads them, see ``services.catalog.files.data_files``), and a symlink whose target breaks the rule
  is **refused**.
* **Writing** (``writable_path``): a relative path or bare file name goes under
  ``<workspace>/exports/``; an absolute path must be inside ``exports/`` or under an import root (same
  hidden rule). An existing file is replaced only when the caller says ``overwrite=True``.

Uploaded files are bytes, not paths: they are staged inside the workspace and never pass here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from services.config import Settings
from services.errors import InvalidInput, NotFound

EXPORTS = "exports"
ROOTS_HINT = "Set WORKBENCH_IMPORT_ROOTS to the folders (separated by ':') the workbench may read from and write to."


def exports_folder(settings: Settings) -> Path:
    """Where outputs given as a bare name or a relative path land: ``<workspace>/exports/``."""
    return (settings.home / EXPORTS).expanduser().resolve()


def import_roots(settings: Settings, extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """The configured roots (plus ``extra``), symlinks resolved so they compare with resolved paths."""
    return tuple(Path(root).expanduser().resolve() for root in (*settings.effective_import_roots(), *extra))


def readable_path(typed: str | Path, settings: Settings, *, extra_roots: Iterable[Path] = ()) -> Path:
    """The resolved path of a file or folder the user typed, once it passes the rule above.

    ``NotFound`` when it does not exist; ``InvalidInput`` when it lies outside the roots, crosses a
    hidden folder below its root, or (for a folder) holds a symlink that does. ``extra_roots`` lets a
    caller add a folder of its own (the workspace's upload staging folder) without widening the setting.
    """
    text = _typed_text(typed, "the file or folder to read")
    try:
        path = Path(text).expanduser().resolve(strict=True)
    except FileNotFoundError as exc:
        raise NotFound(f"{text} does not exist.", hint="Check the path; it must be a file or folder on this machine.") from exc
    except (OSError, RuntimeError) as exc:  # a symlink loop, a permission denied on a parent
        raise InvalidInput(f"{text} cannot be read: {exc}.", hint="Check the path and its permissions.") from exc
    roots = import_roots(settings, extra_roots)
    _require_allowed(path, roots, typed=text)
    if path.is_dir():
        _require_links_allowed(path, roots)
    return path


def writable_path(typed: str | Path, settings: Settings, overwrite: bool) -> Path:
    """The resolved path an output file may be written to (its parent folder exists afterwards when
    it is under ``exports/``). Refuses an existing file unless ``overwrite`` and any folder."""
    text = _typed_text(typed, "the output file")
    exports = exports_folder(settings)
    given = Path(text).expanduser()
    path = (given if given.is_absolute() else exports / given).resolve()
    if not given.is_absolute() and not path.is_relative_to(exports):
        raise InvalidInput(f"{text} leads out of the exports folder {exports}.",
                           hint="Give a file name (it is written under exports/), or an absolute path under an import root.")
    roots = (exports,) if not given.is_absolute() else (exports, *import_roots(settings))
    _require_allowed(path, roots, typed=text)
    _require_new_file(path, text, overwrite)
    if path.is_relative_to(exports):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where a folder must be (``report.csv/x.csv``), a read-only exports folder
            raise InvalidInput(f"{text} cannot be written: {exc.strerror or exc}.",
                               hint="Give a file name, or a path whose folders are folders.") from exc
    return path


def _typed_text(typed: str | Path, what: str) -> str:
    text = str(typed).strip()
    if not text:
        raise InvalidInput(f"No path given for {what}.", hint="Type a path on this machine.")
    return text


def _require_allowed(path: Path, roots: tuple[Path, ...], *, typed: str) -> None:
    """``InvalidInput`` unless ``path`` (resolved) is under a root with nothing hidden below that root."""
    if any(_below_visible(path, root) for root in roots):
        return
    places = ", ".join(str(r) for r in roots)
    shown = typed if str(path) == typed else f"{typed} (= {path})"
    if any(path.is_relative_to(root) for root in roots):
        hidden = _hidden_part(path, roots)
        raise InvalidInput(
            f"{shown} is inside the hidden folder or file {hidden!r}; hidden paths (.aws, .ssh, .git, .env…) are "
            f"refused below the allowed folders: {places}.",
            hint="Copy the data to a visible folder, or list the hidden folder itself in WORKBENCH_IMPORT_ROOTS.",
        )
    raise InvalidInput(f"{shown} is outside the folders the workbench may use: {places}.", hint=ROOTS_HINT)


def _below_visible(path: Path, root: Path) -> bool:
    """``path`` is ``root`` or below it, and no name between them starts with a dot."""
    if not path.is_relative_to(root):
        return False
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def _hidden_part(path: Path, roots: tuple[Path, ...]) -> str:
    for root in roots:
        if path.is_relative_to(root):
            hidden = [p for p in path.relative_to(root).parts if p.startswith(".")]
            if hidden:
                return hidden[0]
    return path.name


def _require_links_allowed(folder: Path, roots: tuple[Path, ...]) -> None:
    """Refuse a folder holding a symlink that leads outside the roots or into a hidden path.

    Hidden entries are left alone: the crawler skips them, so nothing is read through them."""
    for current, dirs, files in os.walk(folder):  # followlinks=False: a linked folder is checked, not entered
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in (*dirs, *files):
            entry = Path(current) / name
            if name.startswith(".") or not entry.is_symlink():
                continue
            target = entry.resolve()
            if not any(_below_visible(target, root) for root in roots):
                raise InvalidInput(
                    f"{entry} links to {target}, outside the folders the workbench may read "
                    f"({', '.join(str(r) for r in roots)}) or into a hidden folder.",
                    hint="Replace the link with a copy of the data, or remove it. " + ROOTS_HINT,
                )


def _require_new_file(path: Path, typed: str, overwrite: bool) -> None:
    if path.is_dir():
        raise InvalidInput(f"{typed} is a folder.", hint="Give a file name, e.g. predictions.csv.")
    if path.exists() and not overwrite:
        raise InvalidInput(
            f"{path} exists already; it was left unchanged.",
            hint="Tick 'Overwrite if it exists' (on the command line: --overwrite) to replace it, or choose another name.",
        )


def publish_file(partial: Path, output: Path, overwrite: bool) -> None:
    """Move a finished ``partial`` file to ``output``. Without ``overwrite`` this never replaces a file
    that appeared since ``writable_path`` checked (a hard link fails atomically if the name is taken)."""
    if overwrite:
        partial.replace(output)
        return
    try:
        os.link(partial, output)
    except FileExistsError as exc:
        raise InvalidInput(
            f"{output} appeared while the file was being written; it was left unchanged.",
            hint="Tick 'Overwrite if it exists' (on the command line: --overwrite) to replace it, or choose another name.",
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
