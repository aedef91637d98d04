"""The developer scripts: ./test runs the suite without Chromium when browser tests are left out."""

import os
import shutil
import subprocess

from tests.conftest import REPO

# What ./test and bin/bootstrap.sh call, without chromium: a PATH of this machine minus the browser.
TOOLS = ("bash", "env", "cat", "sha1sum", "cut", "basename", "dirname", "touch")


def run_test_script(tmp_path, *args):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["PATH"] = str(bin_dir)
    return subprocess.run(
        ["./test", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_runs_without_chromium_when_browser_tests_are_left_out(tmp_path):
    result = run_test_script(tmp_path, "--co", "-q", "-m", "not browser", "tests/test_health.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tests/test_health.py::test_it_" in result.stdout


def test_it_refuses_to_start_browser_tests_without_chromium(tmp_path):
    result = run_test_script(tmp_path, "--co", "-q", "-m", "browser", "tests/test_browser_public.py")
    assert result.returncode != 0
    assert "browser tests need Debian's chromium" in result.stderr
    assert '-m "not browser"' in result.stderr
