# Interaction.triage: what the first stage of triage said at ingest.

from __future__ import annotations

import importlib

from django.db import migrations, models

# SQLite rebuilds the table to add a column with a default, which drops its
# triggers: the full-text index's triggers are installed again afterwards
# (the same step as in 0003).
search_migration = importlib.import_module("leitstelle.inbox.migrations.0002_search")


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0003_moderation_replies_service_levels"),
    ]

    operations = [
        migrations.AddField(
            model_name="interaction",
            name="triage",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(
            search_migration.reinstall_sqlite_triggers,
            migrations.RunPython.noop,
            elidable=False,
        ),
    ]
