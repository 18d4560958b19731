"""The first stage of triage: language, n-gram model, priority and reasons.

The figure: items per second through `classify_batch` in batches of 500, in
one process, over a mix of realistic comments: 60 % from the shared fake-data
generator (German comments of 3 to 600 characters), 20 % the project's
labelled examples, 20 % GermEval 2018 tweets (more examples when that data is
not there). The model: the shipped one. Also the memory (RSS) the first
stage adds to the process: model, language detector, lemma table and
the caches filled while classifying.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

COUNTS = {"small": 5_000, "full": 20_000}
BATCH = 500
GERMEVAL = Path(os.environ.get("BENCH_GERMEVAL", "../shared/data/germeval2018")) / (
    "germeval2018.training.txt"
)


def run(size: str) -> None:
    """Measure in a fresh process, so that the memory figure is its own."""
    command = [sys.executable, "-m", "bench.triage_first_stage", str(COUNTS[size])]
    subprocess.run(command, check=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0  # pragma: no cover - Linux has /proc


def workload(count: int) -> list[str]:
    from leitstelle.inbox.fakedata import generate
    from leitstelle.triage.seed import EXAMPLES
    from leitstelle.triage.training import read_germeval, read_jsonl

    rng = random.Random(11)  # noqa: S311 - reproducible, not secret
    examples = [record.text for record in read_jsonl(EXAMPLES)]
    tweets = (
        [record.text for record in read_germeval(GERMEVAL)]
        if GERMEVAL.is_file()
        else examples
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    fake = [c.text for c in generate(count * 6 // 10, seed=3, start=start)]
    texts = fake + rng.choices(examples, k=count // 5)
    texts += rng.choices(tweets, k=count - len(texts))
    rng.shuffle(texts)
    return texts


def measure(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    import django

    django.setup()
    texts = workload(count)
    before = rss_mb()
    from leitstelle.triage.classify import active_model, classify_batch
    from leitstelle.triage.language import configured_languages, detector_for

    active_model()
    detector_for(configured_languages())
    # one small batch first: what loads on first use counts as loading
    classify_batch(["Danke für die Hilfe", "Thanks for helping"])
    loaded = rss_mb()
    started = time.perf_counter()
    for offset in range(0, len(texts), BATCH):
        classify_batch(texts[offset : offset + BATCH])
    rate = round(len(texts) / (time.perf_counter() - started))
    after = rss_mb()
    print(f"bench: triage.first_stage = {rate} items/s", flush=True)
    print(
        f"bench: triage.model_rss = {after - before:.0f} MB "
        f"(process {after:.0f} MB; {loaded - before:.0f} MB right after loading "
        "model, language detector and lemma table)",
        flush=True,
    )


if __name__ == "__main__":
    measure(int(sys.argv[1]))
