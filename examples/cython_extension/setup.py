"""Builds random_games.pyx against the installed beasty (headers, .pxd
files and the static C core come with the wheel):

    pip install cython setuptools && python setup.py build_ext --inplace
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

import beasty

setup(
    name="random_games",
    ext_modules=cythonize(
        [
            Extension(
                "random_games",
                ["random_games.pyx"],
                include_dirs=[beasty.get_include()],
                library_dirs=[beasty.get_library_dir()],
                libraries=["beasty_core"],
            )
        ],
        language_level=3,
    ),
)
