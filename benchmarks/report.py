"""What every benchmark prints and records: the machine, percentiles, and a section of docs/benchmarks.md."""
from __future__ import annotations

import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def describe_machine() -> str:
    cpu = platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = f"{names[0]}, {len(names)} cores" if names else cpu
    except OSError:
        pass
    return f"{cpu}, {platform.system()}, {platform.python_implementation()} {platform.python_version()}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def today() -> str:
    return time.strftime("%Y-%m-%d")


def record(title: str, body: str) -> None:
    """Replace the section headed `## {title}` in docs/benchmarks.md (or append it)."""
    section = f"## {title}\n\n{body.rstrip()}\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\n"
    marker = f"## {title}\n"
    if marker in text:
        start = text.index(marker)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
