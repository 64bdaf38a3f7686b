"""Region levels: the path of every township from its 12-digit code, with names from a region table.

A statistical division code (统计用区划代码) nests its levels in its digits: province (2) -> city/league
(4) -> county/district/banner (6) -> township (9, written as 12 with ``000``). A deployment's root
(``Settings.root_region``) is a province, a city or a county; everything the cockpit shows lies under it.

The region table is a CSV with at least the columns ``code`` (12 digits), ``name``, ``level``
(province|city|county|township) and ``parent_code`` -- the format of the packaged
``geo/regions_150000.csv`` (NBS 2023 codes for Inner Mongolia; see ``geo/PROVENANCE.md``). A
deployment elsewhere brings its own table (``Settings.region_table``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from warehouse.errors import user_error

LEVELS: tuple[str, ...] = ("province", "city", "county", "township")
# Significant digits of each level's prefix.
LEVEL_DIGITS: dict[str, int] = {"province": 2, "city": 4, "county": 6, "township": 9}
REQUIRED_COLUMNS = frozenset({"code", "name", "level", "parent_code"})


@dataclass(frozen=True)
class Region:
    """One unit of the region table."""

    code: str  # 12 digits
    name: str
    level: str
    parent_code: str | None

    @property
    def prefix(self) -> str:
        """The significant digits: ``15``, ``1502``, ``150205``, ``150205001``."""
        return self.code[: LEVEL_DIGITS[self.level]]

    @property
    def is_zone_unit(self) -> bool:
        """A unit the code table lists "like a township" (positions 7-9 from 400 to 599: development
        zones, parks, service centres) that is not one: only those named as a street, town or sumu are.
        The ETL rejects such rows loaded as townships by the same rule (reason ``zone_unit``)."""
        return (
            self.level == "township"
            and "400" <= self.code[6:9] <= "599"
            and not self.name.endswith(("街道", "镇", "乡", "苏木"))
        )


def child_level(level: str) -> str:
    """The level one below ``level`` (province -> city -> county -> township).

    Raises:
        ValueError: ``level`` is the township level or not a level.
    """
    index = LEVELS.index(level)
    if index + 1 >= len(LEVELS):
        raise ValueError(f"no level below {level!r}")
    return LEVELS[index + 1]


def full_code(code: str) -> str:
    """A 2/4/6/9/12-digit code padded to 12 digits.

    Raises:
        UserError: Not a division code.
    """
    text = str(code).strip()
    if not text.isdigit() or len(text) not in (2, 4, 6, 9, 12):
        raise user_error("regions.bad_code", code=text)
    return text.ljust(12, "0")


def level_of(code: str) -> str:
    """The level a code denotes, from its trailing zeros (``150200000000`` is a city)."""
    padded = full_code(code)
    if padded[2:] == "0" * 10:
        return "province"
    if padded[4:] == "0" * 8:
        return "city"
    if padded[6:] == "0" * 6:
        return "county"
    return "township"


def prefix_of(code: str) -> str:
    """The significant digits of a code at its own level."""
    return full_code(code)[: LEVEL_DIGITS[level_of(code)]]


def is_within(code: str, root: str) -> bool:
    """Whether unit ``code`` lies under (or is) unit ``root``."""
    return full_code(code).startswith(prefix_of(root))


# What "the whole of it" is called after the last character of a unit's name (全区, 全市, 全盟, ...).
_KIND_BY_SUFFIX = {
    "区": "district",
    "县": "county",
    "旗": "banner",
    "市": "city",
    "盟": "league",
    "省": "province",
}


def unit_kind(name: str) -> str:
    """The kind of unit a name says it is (石拐区 district, 包头市 city, 锡林郭勒盟 league, 内蒙古自治区
    region), for wording such as "全市"; a name that says nothing reads as a district."""
    if name.endswith("自治区"):
        return "region"
    return _KIND_BY_SUFFIX.get(name[-1:], "district")


class RegionTable:
    """The units of a region table, by 12-digit code."""

    def __init__(self, regions: dict[str, Region]):
        self._regions = regions

    def __contains__(self, code: str) -> bool:
        return full_code(code) in self._regions

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, code: str) -> Region:
        """The unit of ``code`` (any of its 2/4/6/9/12-digit spellings).

        Raises:
            UserError: The code is not in the table.
        """
        padded = full_code(code)
        region = self._regions.get(padded)
        if region is None:
            raise user_error("regions.unknown_code", code=padded)
        return region

    def path(self, code: str) -> tuple[Region, ...]:
        """The units from the province down to ``code``: province -> city -> county -> township.

        Raises:
            UserError: The code, or one of its ancestors, is not in the table.
        """
        padded = full_code(code)
        depth = LEVELS.index(level_of(padded)) + 1
        return tuple(self.get(padded[: LEVEL_DIGITS[level]].ljust(12, "0")) for level in LEVELS[:depth])

    def children(self, code: str) -> tuple[Region, ...]:
        """The units one level below ``code``, in code order."""
        parent = self.get(code).code
        return tuple(
            sorted((r for r in self._regions.values() if r.parent_code == parent), key=lambda r: r.code)
        )


def read_region_table(path: str | Path) -> RegionTable:
    """Read a region table CSV.

    Raises:
        UserError: The file is missing, lacks a required column, or has a row whose code, level or
            parent does not agree with the code's digits.
    """
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise user_error("regions.unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    regions: dict[str, Region] = {}
    with handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise user_error("regions.missing_columns", path=str(path), columns=", ".join(sorted(missing)))
        for line, row in enumerate(reader, start=2):
            code = (row["code"] or "").strip()
            level = (row["level"] or "").strip()
            parent = (row["parent_code"] or "").strip() or None
            if not (code.isdigit() and len(code) == 12) or level not in LEVELS or level_of(code) != level:
                raise user_error("regions.bad_row", path=str(path), line=line, code=code, level=level)
            if parent is not None and not code.startswith(prefix_of(parent)):
                raise user_error("regions.bad_row", path=str(path), line=line, code=code, level=level)
            regions[code] = Region(
                code=code, name=(row["name"] or "").strip(), level=level, parent_code=parent
            )
    return RegionTable(regions)


@lru_cache(maxsize=4)
def region_table(path: Path) -> RegionTable:
    """The region table at ``path``, read once per process (it does not change while running)."""
    return read_region_table(path)


def scope_region(code: str, table: RegionTable, root: str) -> Region:
    """The province, city or county an account may be limited to, checked against the deployment.

    Raises:
        UserError: Not a 2/4/6-digit code, not in the region table, or outside the root (a scope
            must lie within what the deployment serves).
    """
    text = str(code).strip()
    if not text.isdigit() or len(text) not in (2, 4, 6):
        raise user_error("region_scope.bad_level", code=text)
    region = table.get(text)
    if region.prefix != text:  # e.g. "1502" names a city; "150200" would be the city spelled as a county
        raise user_error("region_scope.bad_level", code=text)
    if not is_within(region.code, root):
        raise user_error("region_scope.outside_root", code=text, name=region.name, root=prefix_of(root))
    return region


def account_township(code: str, table: RegionTable, root: str, published: Callable[[], Iterable[str]]) -> str:
    """The 12-digit township a township-role account is bound to, checked against the deployment's root.

    A city or province root serves townships of many districts, so the check is "a township under the
    root", not "a township of ``district_code``". The township must be known: to the region table, or,
    for a township the table lacks (a newer division), to the published snapshot -- ``published`` is
    only called then, as it opens the snapshot.

    Raises:
        UserError: Not a 12-digit township code, outside the root, or known to neither source.
    """
    text = str(code).strip()
    if not (text.isdigit() and len(text) == 12) or level_of(text) != "township":
        raise user_error("region_scope.township_bad_code", code=text)
    root_prefix = prefix_of(root)
    if not text.startswith(root_prefix):
        raise user_error("region_scope.township_outside_root", code=text, root=root_prefix)
    if text not in table and text not in set(published()):
        raise user_error("region_scope.township_unknown", code=text, root=root_prefix)
    return text
