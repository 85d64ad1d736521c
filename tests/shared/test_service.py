"""Service specs: what they name by import path exists, and reading them stays cheap."""

from __future__ import annotations

import subprocess
import sys

from shared.service import all_services, imported


def test_every_path_a_spec_names_can_be_imported():
    for spec in all_services():
        for name in spec.commands:
            assert spec.command(name).name == name, (spec.name, name)
        assert callable(imported(spec.app_factory))
        if spec.handlers_module is not None:
            assert spec.handlers
        for path in (spec.bootstrap, spec.membership_check):
            if path is not None:
                assert callable(imported(path))


def test_reading_the_specs_imports_no_app_handlers_or_commands():
    # Every process of the platform reads all three specs through the `todo` command.
    probe = (
        "import sys, shared.cli; from shared.service import all_services; all_services(); "
        "print(sorted(m for m in sys.modules if m.startswith('services.') "
        "and m.rsplit('.', 1)[1] in ('app', 'handlers', 'commands', 'pages')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
