"""A synthetic clinic knowledge base of any size, for speed benchmarks: articles with facets.

Articles are generated from the project's taxonomy (articles/taxonomy.yaml) and the words
of the real articles in articles/, in their real proportions, so term statistics, facet
shapes and article lengths look like a clinic's, at 10,000 articles. Nothing here is
medical content: the sentences are word salad. A tenth of the articles are staff-only.
"""
from __future__ import annotations

import random
import re
import shutil
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"
WORD = re.compile(r"[a-z]{3,}")


def vocabulary(articles: Path = ARTICLES) -> Counter:
    counts: Counter = Counter()
    for path in articles.glob("*.md"):
        counts.update(WORD.findall(path.read_text(encoding="utf-8").lower()))
    return counts


def facet_values(taxonomy_file: Path) -> dict[str, list[tuple[str, str]]]:
    data = yaml.safe_load(taxonomy_file.read_text(encoding="utf-8"))["facets"]
    return {key: [(v["value"], v["label"]) for v in facet.get("values", [])] for key, facet in data.items() if "values" in facet}


def generate(folder: Path, count: int, seed: int = 1) -> Path:
    """Write `count` articles and the taxonomy into `folder`; returns the folder."""
    rng = random.Random(seed)
    counts = vocabulary()
    words, weights = zip(*counts.most_common())
    values = facet_values(ARTICLES / "taxonomy.yaml")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(ARTICLES / "taxonomy.yaml", folder / "taxonomy.yaml")

    def sentence(length: int) -> str:
        chosen = rng.choices(words, weights, k=length)
        return " ".join(chosen).capitalize() + "."

    for number in range(count):
        chosen = {key: rng.sample(options, k=rng.randint(1, min(2, len(options)))) for key, options in values.items()}
        procedure = chosen["procedure"][0][1]
        scar = chosen["scar_type"][0][1]
        title = f"{procedure} and {scar.lower()} scars: {' '.join(rng.choices(words, weights, k=3))} {number}"
        sections = []
        for _ in range(rng.randint(3, 6)):
            heading = " ".join(rng.choices(words, weights, k=3)).capitalize()
            paragraph = " ".join(sentence(rng.randint(8, 20)) for _ in range(rng.randint(3, 8)))
            mention = rng.choice([label for options in chosen.values() for _, label in options])
            sections.append(f"## {heading}\n\n{paragraph} {mention}.\n")
        low = rng.randrange(100, 800, 50)
        front = {
            "title": title,
            "summary": sentence(rng.randint(10, 18)),
            **{key: [value for value, _ in picked] for key, picked in chosen.items()},
            "cost": {"min": low, "max": low + rng.randrange(0, 600, 50), "currency": "USD"},
            "audience": "staff" if number % 10 == 9 else "public",
            "updated": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + "\n".join(sections)
        (folder / f"article-{number:05d}.md").write_text(text, encoding="utf-8")
    return folder


def queries(count: int, seed: int = 2) -> list[str]:
    """Free-text queries of one to four words drawn from the articles' words, most of them common."""
    rng = random.Random(seed)
    counts = vocabulary()
    words, weights = zip(*counts.most_common())
    return [" ".join(rng.choices(words, weights, k=rng.randint(1, 4))) for _ in range(count)]
