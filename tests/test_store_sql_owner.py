"""The store owns its SQL: nothing in ``bot/`` outside ``bot/store/`` runs a statement or touches the file.

Walks every module with :mod:`ast` and lists each offence: a call of ``execute``/``executemany``/
``executescript``, any ``.db`` or ``.conn`` attribute (the store's sqlite-utils database and its
connection), an import of ``sqlite_utils``, a ``sqlite3.connect`` call, or a string that reads as SQL
(docstrings aside: prose may name a statement). The list must be empty, so a new query written in a
cog or in delivery fails here with its file and line, and goes into a repository of ``bot/store/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"

SQL = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|(CREATE|DROP)\s+(TABLE|INDEX|TRIGGER|VIEW|VIRTUAL)|ALTER\s+TABLE|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
    re.DOTALL,
)
RUNS_SQL = {"execute", "executemany", "executescript"}
THE_FILE = {"db", "conn"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (first statement of a module, class or function)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def offences(source: str, name: str) -> list[str]:
    """``name:line: what`` for each place ``source`` runs SQL or reaches the database directly."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        what = ""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in RUNS_SQL:
                what = f"calls .{node.func.attr}()"
            elif node.func.attr == "connect" and isinstance(node.func.value, ast.Name) and \
                    node.func.value.id == "sqlite3":
                what = "opens a SQLite connection"
        elif isinstance(node, ast.Attribute) and node.attr in THE_FILE:
            what = f"reaches .{node.attr}"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] == "sqlite_utils" for m in modules):
                what = "imports sqlite_utils"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            match = SQL.search(node.value)
            if match:
                what = f"SQL {match.group(0).split()[0]}"
        if what:
            found.append(f"{name}:{node.lineno}: {what}")
    return sorted(found, key=lambda f: (f.split(":")[0], int(f.split(":")[1]), f))


def test_no_sql_outside_the_store_package() -> None:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith("bot/store/"):
            found += offences(path.read_text(encoding="utf-8"), rel)
    assert found == []


def test_the_store_package_is_where_the_sql_is() -> None:
    """The same walk finds every statement of the repositories (a blind check would pass anything)."""
    statements = {}
    for name in ("channels", "ledger", "subscriptions"):
        found = offences((BOT / "store" / f"{name}.py").read_text(encoding="utf-8"), name)
        statements[name] = sorted(f.rsplit(" ", 1)[1] for f in found if ": SQL " in f)
    assert statements == {
        "channels": ["DELETE", "SELECT", "SELECT", "SELECT"],
        "ledger": ["SELECT", "SELECT"],
        "subscriptions": ["DELETE", "DELETE"] + ["SELECT"] * 8,
    }


BAD = '''
"""A module docstring may say SELECT x FROM papers; that is prose."""
import sqlite3
import sqlite_utils
from sqlite_utils.db import Database


def f(store, args):
    """UPDATE papers SET nothing: a docstring again."""
    store.db.execute("SELECT user_id FROM dm_users WHERE closed_day = ?", ["2025-01-01"])
    store.db["channels"].insert({})
    conn = sqlite3.connect("x.db")
    conn.executemany(f"DELETE FROM {args.table} WHERE id = ?", [])
    cur = store.conn
    note = "Update the channel settings, then select a time"  # ordinary words are not SQL
    return "PRAGMA data_version", note, cur
'''


def test_the_checker_names_every_kind_of_offence() -> None:
    assert offences(BAD, "bad.py") == [
        "bad.py:4: imports sqlite_utils",
        "bad.py:5: imports sqlite_utils",
        "bad.py:10: SQL SELECT",
        "bad.py:10: calls .execute()",
        "bad.py:10: reaches .db",
        "bad.py:11: reaches .db",
        "bad.py:12: opens a SQLite connection",
        "bad.py:13: SQL DELETE",
        "bad.py:13: calls .executemany()",
        "bad.py:14: reaches .conn",
        "bad.py:16: SQL PRAGMA",
    ]
