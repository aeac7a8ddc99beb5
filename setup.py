"""Build step: the top-level templates/ and static/ travel inside the wheel.

They stay at the repository's top level for the people who edit them; a built package has no
checkout beside it, so build_py copies them to tracker/templates and tracker/static, where
create_app looks first. Everything else about the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE_FOLDERS = ("templates", "static")


class BuildPyWithSite(build_py):
    """build_py, then the site folders copied into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        for name in SITE_FOLDERS:
            target = Path(self.build_lib) / "tracker" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("*~", ".*"))


setup(cmdclass={"build_py": BuildPyWithSite})
