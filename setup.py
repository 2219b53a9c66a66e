"""Package layout: source folders mapped under the single top-level name `homolog`.

`runner/` is `homolog`, `suites/` is `homolog.suites`, `reports/` is `homolog.reports`,
`fixtures/` is `homolog.fixtures`, `counterparts/` is `homolog.counterparts` and
`referentials/` is `homolog.referentials`, so no generic name (runner, reports...)
lands at the top of site-packages.
"""

from setuptools import find_packages, setup

ROOTS = {
    "homolog": "runner",
    "homolog.suites": "suites",
    "homolog.reports": "reports",
    "homolog.fixtures": "fixtures",
    "homolog.counterparts": "counterparts",
    "homolog.referentials": "referentials",
}

packages = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS)
