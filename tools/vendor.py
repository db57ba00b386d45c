"""Fetch the JavaScript the built book serves itself, pinned, from the npm registry.

The book must not request anything from another host, so MathJax, require.js and the ipywidgets
HTML manager (with its fonts) are copied into ``book/_vendor/`` (git-ignored), which Sphinx copies to
``_build/html/_static/``. Each package is fetched with ``npm pack NAME@VERSION`` and checked
against the SHA-256 below, then trimmed to the files the pages actually load.

Run it through ``make vendor`` (``make book`` does). It does nothing when ``book/_vendor/VERSIONS``
already records the pinned set; ``--force`` fetches again.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "book" / "_vendor"

# name, version, sha256 of the tarball that `npm pack` downloads
PACKAGES = [
    ("mathjax", "3.2.2", "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"),
    ("requirejs", "2.3.8", "777158e89275e16bd51aec3ef714fbcb5dc45789e7078659933bc814916d7dec"),
    (
        "@jupyter-widgets/html-manager",
        "1.0.15",
        "2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638",
    ),
]

# What the pages use, relative to each package's folder. MathJax: the tex-mml-chtml component, its
# CHTML fonts, the TeX extensions it may autoload (\boldsymbol, \cancel, ...) and the menu code it
# lazy-loads. The speech rule engine (sre, a11y) is left out: ~4 MB that no page uses.
KEEP = {
    "mathjax": [
        "es5/tex-mml-chtml.js",
        "es5/output/chtml/fonts/woff-v2",
        "es5/input/tex/extensions",
        "es5/ui",
        "LICENSE",
    ],
    "requirejs": ["require.js"],
    # embed-amd.js is self-contained; fonts are Font Awesome, referenced by its CSS (woff2/woff/ttf suffice).
    "@jupyter-widgets/html-manager": ["dist/embed-amd.js", "dist/*.woff2", "dist/*.woff", "dist/*.ttf"],
}

# Where each package lands inside book/_vendor (these paths are used in _config.yml).
TARGET = {"mathjax": "mathjax", "requirejs": ".", "@jupyter-widgets/html-manager": "html-manager"}


def versions_line() -> str:
    return "\n".join(f"{name}@{version} sha256:{sha}" for name, version, sha in PACKAGES) + "\n"


def npm_pack(name: str, version: str, workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    if not tarball.exists():
        raise SystemExit(f"npm pack {name}@{version} did not produce {tarball}")
    return tarball


def copy_kept(package_dir: Path, patterns: list[str], dest: Path) -> None:
    for pattern in patterns:
        matches = sorted(package_dir.glob(pattern))
        if not matches:
            raise SystemExit(f"nothing matches {pattern!r} in {package_dir}")
        for src in matches:
            rel = src.relative_to(package_dir)
            # html-manager keeps its dist/ layout flat under html-manager/dist
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, target, dirs_exist_ok=True)
            else:
                shutil.copy2(src, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even if book/_vendor is current")
    args = parser.parse_args(argv)

    stamp = DEST / "VERSIONS"
    if not args.force and stamp.exists() and stamp.read_text() == versions_line():
        print(f"vendor: {DEST.relative_to(ROOT)} is current")
        return 0
    if shutil.which("npm") is None:
        raise SystemExit("vendor: npm is needed to fetch MathJax, require.js and the widget manager")

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        staging = tmpdir / "out"
        staging.mkdir()
        for name, version, sha in PACKAGES:
            tarball = npm_pack(name, version, tmpdir)
            digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
            if digest != sha:
                raise SystemExit(f"vendor: {name}@{version}: sha256 {digest} does not match the pinned {sha}")
            unpacked = tmpdir / f"unpacked-{tarball.stem}"
            with tarfile.open(tarball) as tf:
                tf.extractall(unpacked, filter="data")
            copy_kept(unpacked / "package", KEEP[name], staging / TARGET[name])
            print(f"vendor: {name}@{version} ok")
        (staging / "VERSIONS").write_text(versions_line())
        if DEST.exists():
            shutil.rmtree(DEST)
        shutil.copytree(staging, DEST)
    size = sum(p.stat().st_size for p in DEST.rglob("*") if p.is_file())
    print(f"vendor: wrote {DEST.relative_to(ROOT)} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
