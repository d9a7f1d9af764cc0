"""The English catalog (wushe/locale/en/LC_MESSAGES/django.po) is complete, consistent with
its msgids, compiled, and up to date with the source strings.

Source strings are Simplified Chinese msgids. When one of these tests fails after you add or
change a string, regenerate and translate the catalog, then compile it:

    cd wushe && ../.venv/bin/wushe makemessages -l en --ignore "tests/*" --ignore "testing.py"
    # fill in msgstr for the new entries, remove any "#, fuzzy" flag
    cd .. && .venv/bin/wushe i18n compile
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator, Sequence
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.translation.template import templatize

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")
SOURCE_DIR = LOCALE_DIR.parent  # the `wushe` package: makemessages runs from here
# The same arguments as the documented command (README / this module's docstring).
IGNORE = ["tests/*", "testing.py"]
EXTENSIONS = {".py", ".html", ".txt"}  # makemessages' defaults for the "django" domain
REGENERATE = (
    'cd wushe && ../.venv/bin/wushe makemessages -l en --ignore "tests/*" --ignore "testing.py"'
)

Key = tuple[str | None, str]  # (msgctxt, msgid)


def load_catalog(path: Path = EN_PO) -> polib.POFile:
    assert path.exists(), f"{path} is missing; create it with: {REGENERATE}"
    return polib.pofile(str(path))


def active(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt or None, entry.msgid)


def is_translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def describe(k: Key) -> str:
    ctx, msgid = k
    return f"{msgid!r}" + (f" (context {ctx!r})" if ctx else "")


# ---------------------------------------------------------------------------------------------
# Completeness and placeholders


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    po = load_catalog()
    entries = active(po)
    assert entries, f"{EN_PO} has no entries"
    assert not po.metadata_is_fuzzy, f"{EN_PO}: remove the '#, fuzzy' flag from the header"
    untranslated = [describe(key(e)) for e in entries if not is_translated(e)]
    fuzzy = [describe(key(e)) for e in entries if "fuzzy" in e.flags]
    assert not untranslated, "untranslated entries in the en catalog:\n" + "\n".join(untranslated)
    assert not fuzzy, (
        "fuzzy entries in the en catalog (check the translation, then drop the flag):\n"
        + "\n".join(fuzzy)
    )


PLACEHOLDER = re.compile(
    r"%\((?P<named>\w+)\)[#0 +-]?\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|(?P<positional>%[#0 +-]?\d*(?:\.\d+)?[diouxXeEfFgGcrsa])"  # %s, %d, %.1f
    r"|\{(?P<brace>\w*)(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {0}, {}
)


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """Named placeholders (order may change in a translation) and positional ones (it may not).
    Escaped %% and {{ }} are not placeholders."""
    text = text.replace("%%", "").replace("{{", "").replace("}}", "")
    named: list[str] = []
    positional: list[str] = []
    for m in PLACEHOLDER.finditer(text):
        if m["named"] is not None:
            named.append(m.group(0))
        elif m["positional"] is not None:
            positional.append(m.group(0))
        elif m["brace"] and not m["brace"].isdigit():
            named.append(m.group(0))
        else:
            positional.append(m.group(0))
    return sorted(named), positional


def test_placeholders_are_kept_in_translations() -> None:
    problems = []
    for entry in active(load_catalog()):
        if entry.msgid_plural:
            pairs = [
                (entry.msgid if n == 0 else entry.msgid_plural, text)
                for n, text in sorted(entry.msgstr_plural.items())
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            if text and placeholders(source) != placeholders(text):
                problems.append(f"{source!r} -> {text!r}")
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_placeholder_check_catches_mistakes() -> None:
    """Guard the guard: the comparison above must notice dropped or renamed placeholders."""
    assert placeholders("第 %(n)s / %(total)s 页") == placeholders("Page %(n)s of %(total)s")
    assert placeholders("%(a)s 与 %(b)s") == placeholders("%(b)s and %(a)s")
    assert placeholders("您好，%(name)s") != placeholders("Hello, %(nome)s")
    assert placeholders("您好，%(name)s") != placeholders("Hello")
    assert placeholders("%s：%d") != placeholders("%d: %s")
    assert placeholders("{name} 已加入") != placeholders("name joined")
    assert placeholders("完成 100%%") == placeholders("100%% done")


# ---------------------------------------------------------------------------------------------
# Compiled catalog


def test_compiled_catalog_matches_the_po_file() -> None:
    assert EN_MO.exists(), f"{EN_MO} is missing: run `wushe i18n compile` (make test does)"
    expected: dict[Key, object] = {}
    for entry in active(load_catalog()):
        if is_translated(entry) and "fuzzy" not in entry.flags:
            expected[key(entry)] = (
                tuple(v for _, v in sorted(entry.msgstr_plural.items()))
                if entry.msgid_plural
                else entry.msgstr
            )
    compiled: dict[Key, object] = {
        key(e): tuple(v for _, v in sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
        for e in polib.mofile(str(EN_MO))
        if e.msgid
    }
    assert compiled == expected, f"{EN_MO} is stale: run `wushe i18n compile`"


def test_english_translation_is_used_at_runtime() -> None:
    with translation.override("en"):
        assert translation.gettext("用户名或密码错误。") == "Incorrect username or password."
        assert translation.gettext("我能做什么") == "What I can do"
        assert translation.gettext("五社联动") == "Five-Society Linkage"
        assert translation.ngettext("共 %(n)s 条记录", "共 %(n)s 条记录", 1) == "%(n)s record"
        assert translation.ngettext("共 %(n)s 条记录", "共 %(n)s 条记录", 3) == "%(n)s records"
    with translation.override("zh-hans"):
        assert translation.gettext("用户名或密码错误。") == "用户名或密码错误。"


# ---------------------------------------------------------------------------------------------
# Up to date with the source


def _copy_filter(directory: str, names: list[str]) -> set[str]:
    """shutil.copytree filter: only the files makemessages reads, no caches or catalogs."""
    skipped = set()
    for name in names:
        path = Path(directory) / name
        if name.startswith(".") or name in {"__pycache__", "node_modules"}:
            skipped.add(name)
        elif path.is_dir():
            if path == LOCALE_DIR:
                skipped.add(name)
        elif path.suffix not in EXTENSIONS:
            skipped.add(name)
    return skipped


def test_catalog_is_up_to_date_with_makemessages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the real `makemessages` (xgettext + msgmerge) on a copy of the source and the
    catalog, and compare its catalog with the committed one. Nothing in the tree is written:
    makemessages also drops temporary files next to templates, hence the copy."""
    missing = [tool for tool in ("xgettext", "msguniq", "msgmerge") if not shutil.which(tool)]
    if missing:
        pytest.skip(
            f"GNU gettext ({', '.join(missing)}) is not installed, so makemessages cannot run; "
            "test_source_strings_are_in_the_catalog still checks the source strings "
            "(apt-get install gettext for the full check)"
        )
    work = tmp_path / "wushe"
    shutil.copytree(SOURCE_DIR, work, ignore=_copy_filter)
    work_locale = work / LOCALE_DIR.name
    languages = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        target = work_locale / po_path.relative_to(LOCALE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(po_path, target)
        languages.append(po_path.parent.parent.name)
    assert "en" in languages, f"{EN_PO} is missing; create it with: {REGENERATE}"

    monkeypatch.chdir(work)
    with override_settings(LOCALE_PATHS=[work_locale]):
        call_command(
            "makemessages",
            locale=languages,
            ignore_patterns=IGNORE,
            verbosity=0,
            stdout=StringIO(),
            stderr=StringIO(),
        )

    for language in languages:
        committed_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
        committed = {key(e): e for e in active(load_catalog(committed_path))}
        fresh = {
            key(e): e
            for e in active(load_catalog(work_locale / committed_path.relative_to(LOCALE_DIR)))
        }
        new = sorted(describe(k) for k in fresh.keys() - committed.keys())
        stale = sorted(describe(k) for k in committed.keys() - fresh.keys())
        changed = sorted(
            describe(k)
            for k in fresh.keys() & committed.keys()
            if fresh[k].msgid_plural != committed[k].msgid_plural
        )
        untranslated = sorted(
            describe(k)
            for k, e in fresh.items()
            if k in committed and (not is_translated(e) or "fuzzy" in e.flags)
        )
        report = [
            ("strings in the source but not in the catalog", new),
            ("catalog entries no longer in the source", stale),
            ("plural form changed in the source", changed),
            ("entries that makemessages leaves untranslated or fuzzy", untranslated),
        ]
        problems = [f"{title}:\n  " + "\n  ".join(items) for title, items in report if items]
        assert not problems, (
            f"{committed_path} is out of date with the source. Run\n    {REGENERATE}\n"
            "then translate the new entries and run `wushe i18n compile`.\n" + "\n".join(problems)
        )


# Extraction without GNU gettext, mirroring makemessages' keywords: Python calls are read with
# the ast module, templates through Django's own templatize() (what makemessages feeds xgettext).
GETTEXT_ARGS = {  # function name -> roles of its leading string arguments
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("msgctxt", "msgid"),
    "pgettext_lazy": ("msgctxt", "msgid"),
    "npgettext": ("msgctxt", "msgid", "plural"),
    "npgettext_lazy": ("msgctxt", "msgid", "plural"),
}
_LITERAL = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
TEMPLATE_CALL = re.compile(
    rf"(?<![\w.])(?P<func>{'|'.join(GETTEXT_ARGS)})\(\s*(?P<args>{_LITERAL}(?:\s*,\s*{_LITERAL})*)"
)


def _message(func: str, args: Sequence[object]) -> Key | None:
    roles = GETTEXT_ARGS[func]
    strings = [a for a in args[: len(roles)] if isinstance(a, str)]
    if len(strings) < len(roles):
        return None  # not a literal: xgettext cannot extract it either
    values = dict(zip(roles, strings, strict=True))
    return (values.get("msgctxt"), values["msgid"])


def source_files() -> Iterator[Path]:
    for path in sorted(SOURCE_DIR.rglob("*")):
        relative = path.relative_to(SOURCE_DIR)
        if (
            path.suffix not in EXTENSIONS
            or not path.is_file()
            or relative.parts[0] == LOCALE_DIR.name
            or any(
                part.startswith(".") or part in {"tests", "__pycache__"} for part in relative.parts
            )
            or path.name == "testing.py"
        ):
            continue
        yield path


def source_messages() -> dict[Key, str]:
    """Every literal gettext msgid in the source, with where it was found."""
    found: dict[Key, str] = {}
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(SOURCE_DIR))
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text, filename=where)):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in GETTEXT_ARGS:
                    args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
                    message = _message(name, args)
                    if message:
                        found.setdefault(message, f"{where}:{node.lineno}")
        else:
            for m in TEMPLATE_CALL.finditer(templatize(text, origin=where)):
                args = list(ast.literal_eval(f"({m['args']},)"))
                message = _message(m["func"], args)
                if message:
                    found.setdefault(message, where)
    return found


def test_source_strings_are_in_the_catalog() -> None:
    """Runs without GNU gettext: every literal `_("…")`, `{% translate "…" %}` and
    `{% blocktranslate %}` msgid in the source has a translated entry in the en catalog."""
    found = source_messages()
    assert len(found) > 50, "the extractor found suspiciously few strings"
    catalog = {key(e): e for e in active(load_catalog())}
    missing = sorted(f"{where}: {describe(k)}" for k, where in found.items() if k not in catalog)
    untranslated = sorted(
        f"{where}: {describe(k)}"
        for k, where in found.items()
        if k in catalog and (not is_translated(catalog[k]) or "fuzzy" in catalog[k].flags)
    )
    assert not missing and not untranslated, (
        f"source strings missing from or untranslated in {EN_PO}. Run\n    {REGENERATE}\n"
        "then translate them and run `wushe i18n compile`.\n"
        + "\n".join(
            f"{title}:\n  " + "\n  ".join(items)
            for title, items in [("missing", missing), ("untranslated or fuzzy", untranslated)]
            if items
        )
    )
