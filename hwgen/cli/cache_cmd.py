"""``hwgen cache``: list and clean the user cache (simulator builds, run logs).

::

    hwgen cache list            # items, sizes, last use; the cache root and its budget
    hwgen cache clean [--all]   # remove items (kept: those used in the last ten minutes)

The cache root is ``$HWGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/hwgen``, else
``~/.cache/hwgen`` (:mod:`hwgen.tools.cache`); simulator builds are also evicted least
recently used first beyond ``$HWGEN_SIM_CACHE_MB`` (default 4096 MiB).
"""

from __future__ import annotations

import datetime as dt

import click

from hwgen.cli.oneline import OneLineGroup
from hwgen.cli.output import echo_table
from hwgen.tools import cache


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f}"


@click.group("cache", cls=OneLineGroup)
def cache_group() -> None:
    """List or clean hwgen's user cache (simulator builds and run logs)."""


@cache_group.command("list")
def list_cmd() -> None:
    """List the cache's items, largest first."""
    root = cache.cache_root()
    items = cache.entries(root)
    rows = [
        [
            str(e.path.relative_to(root)),
            _mib(e.size_bytes),
            dt.datetime.fromtimestamp(e.last_used, dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ]
        for e in items
    ]
    total = sum(e.size_bytes for e in items)
    click.echo(f"cache {root}: {len(items)} item(s), {_mib(total)} MiB")
    if rows:
        echo_table(("item", "MiB", "last used"), rows, as_csv=False)


@cache_group.command("clean")
@click.option(
    "--all", "everything", is_flag=True, help="Also remove items used in the last ten minutes."
)
def clean_cmd(everything: bool) -> None:
    """Remove the cache's items (those in use by a running hwgen are kept unless --all)."""
    root = cache.cache_root()
    removed = cache.clean(root, keep_recent=not everything)
    kept = len(cache.entries(root))
    freed = sum(e.size_bytes for e in removed)
    click.echo(
        f"removed {len(removed)} item(s), {_mib(freed)} MiB from {root}"
        + (f"; kept {kept} recently used (--all removes them)" if kept else "")
    )
