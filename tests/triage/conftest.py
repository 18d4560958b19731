"""Small labelled files and a small model trained from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from leitstelle.triage import training
from tests.triage.helpers import small_examples, write_jsonl


@pytest.fixture(scope="session")
def small_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("triage-data")
    return write_jsonl(folder / "small.jsonl", small_examples())


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory, small_file) -> Path:
    folder = tmp_path_factory.mktemp("triage-model")
    result = training.train(training.read_jsonl(small_file), folds=3)
    return result.model.save(folder)
