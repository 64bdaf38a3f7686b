"""Numbers and changes in the newsletter's register: pure functions, value in, text out."""

from __future__ import annotations

from warehouse.i18n import normalize_lang, t


def fmt_int(value: int | float | None, lang: str | None = None) -> str:
    """A count, exact. Chinese: digits up to 9999, then 万/亿 groups (``12万3456``, ``1亿0200万``); an
    official text never writes 12,345. English: ``12,345``."""
    number = int(value or 0)
    if normalize_lang(lang) == "en":
        return f"{number:,}"
    sign, number = ("-" if number < 0 else ""), abs(number)
    if number < 10_000:
        return f"{sign}{number}"
    yi, rest = divmod(number, 100_000_000)
    wan, units = divmod(rest, 10_000)
    parts = []
    if yi:
        parts.append(f"{yi}亿")
    if wan:
        parts.append(f"{wan:04d}万" if yi else f"{wan}万")
    if units:
        parts.append(f"{units:04d}" if (yi or wan) and units < 1000 else str(units))
    return sign + "".join(parts)


def fmt_pct(rate: float | None) -> str:
    """A fraction as a percentage with one decimal (``0.8674`` -> ``86.7%``)."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def relative_change(current: float | int | None, previous: float | int | None) -> float | None:
    """(current - previous) / previous, None when the previous value is zero or unknown."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def change_text(current: int | None, previous: int | None, lang: str | None) -> str:
    """``增长23.7%``, ``下降5.0%``, ``持平`` or ``上年同期为零``."""
    current, previous = int(current or 0), int(previous or 0)
    if current == previous:
        return t("briefing.change.flat", lang)
    change = relative_change(current, previous)
    if change is None:
        return t("briefing.change.new", lang)
    key = "briefing.change.up" if change > 0 else "briefing.change.down"
    return t(key, lang, pct=fmt_pct(abs(change)))


def yoy(current: dict, previous: dict, kpi_ids: tuple[str, ...], lang: str | None) -> str:
    """``同比增长x%`` for one KPI, ``同比分别增长x%和下降y%`` for two."""
    texts = [change_text(current[k], previous[k], lang) for k in kpi_ids]
    if len(texts) == 1 or texts[0] == texts[1]:
        return t("briefing.change.one", lang, change=texts[0])
    # Same direction: "分别增长23.7%和29.9%", the verb said once.
    changes = [relative_change(current[k], previous[k]) for k in kpi_ids]
    if all(c is not None and c > 0 for c in changes) or all(c is not None and c < 0 for c in changes):
        verb = "briefing.change.up" if changes[0] > 0 else "briefing.change.down"
        second = fmt_pct(abs(changes[1]))
        return t(
            "briefing.change.both",
            lang,
            first=texts[0],
            second=second if normalize_lang(lang) != "en" else t(verb, lang, pct=second),
        )
    return t("briefing.change.both", lang, first=texts[0], second=texts[1])
