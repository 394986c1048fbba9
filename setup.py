"""Build hook beside pyproject.toml (which holds the rest of the packaging): keep conftest.py out of the wheel.

setuptools excludes packages and data files by pattern, but not a single module such as xiangzhi/conftest.py.
"""

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithoutConftest(build_py):
    def find_package_modules(self, package, package_dir):
        return [m for m in super().find_package_modules(package, package_dir) if m[1] != "conftest"]


setup(cmdclass={"build_py": BuildPyWithoutConftest})
