"""Triage: language, categories, priority and reasons for every incoming item.

The first stage (this package's `classify`) is a multi-label linear model over
character and lemma n-grams; it needs numpy only at run time. Training uses
scikit-learn. The public API is in `leitstelle.triage.services`.
"""
