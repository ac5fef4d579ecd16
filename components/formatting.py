"""Numbers as people read them."""

from __future__ import annotations


def human_bytes(size: int | float | None) -> str:
    if size is None:
        return "–"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"


def human_ms(elapsed_ms: float | None) -> str:
    if elapsed_ms is None:
        return "–"
    return f"{elapsed_ms:,.0f} ms" if elapsed_ms < 10_000 else f"{elapsed_ms / 1000:,.1f} s"


def human_cost(usd: float) -> str:
    return "$0.00" if usd == 0 else (f"${usd:,.6f}" if usd < 0.01 else f"${usd:,.2f}")
