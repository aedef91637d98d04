"""Settings come from the environment, with safe local defaults."""

import os
import re
import subprocess
import sys

from tests.conftest import REPO

# The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
IGNORED_ENV = {"DATABASE_URL", "DEBUG", "SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def settings_value(expr: str, **env) -> str:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "REDIS_URL"}
    }
    clean.update(env)
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    clean["DJANGO_SETTINGS_MODULE"] = "acclab.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=clean, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 or env, result.stderr
    return (result.stdout + result.stderr).strip()


def test_it_falls_back_to_sqlite_without_database_url():
    out = settings_value("settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']")
    assert "django.db.backends.sqlite3" in out
    assert "db.sqlite3" in out


def test_it_reads_postgresql_from_database_url():
    out = settings_value(
        "settings.DATABASES['default']['ENGINE']", DATABASE_URL="postgres://u@db.example:5432/acclab"
    )
    assert out == "django.db.backends.postgresql"


def test_it_turns_jit_and_parallel_workers_off_on_postgresql_connections():
    out = settings_value(
        "settings.DATABASES['default']['OPTIONS']", DATABASE_URL="postgres://u@db.example:5432/acclab"
    )
    assert "'options': '-c jit=off -c max_parallel_workers_per_gather=0'" in out
    assert "jit" not in settings_value("settings.DATABASES['default']['OPTIONS']")  # SQLite has none


def test_it_uses_redis_when_redis_url_is_set():
    out = settings_value("settings.CACHES['default']['BACKEND']", REDIS_URL="redis://127.0.0.1:6379/1")
    assert out == "plans.cache.RedisCache"  # Django's, with outages degraded to misses
    # The header's and footer's fragments stay in each process's memory, whatever the default cache.
    fragments = "settings.CACHES['fragments']['BACKEND']"
    for environment in ({"REDIS_URL": "redis://127.0.0.1:6379/1"}, {}):
        assert settings_value(fragments, **environment) == "django.core.cache.backends.locmem.LocMemCache"


def test_it_keeps_more_entries_in_a_worker_s_memory_cache_than_django_s_default():
    # 300 entries were flooded by pages: a search's facet counts were gone before its next page read them.
    assert settings_value("settings.CACHES['default']['OPTIONS']['MAX_ENTRIES']") == "2000"
    assert (
        settings_value("settings.CACHES['default']['OPTIONS']['MAX_ENTRIES']", CACHE_MAX_ENTRIES="500")
        == "500"
    )
    out = settings_value("settings.CACHES", CACHE_MAX_ENTRIES="lots")
    assert "CACHE_MAX_ENTRIES must be an integer, got 'lots'" in out


def test_it_refuses_to_start_in_production_without_a_secret_key():
    out = settings_value("settings.DEBUG", DEBUG="0")
    assert "SECRET_KEY must be set" in out


def test_it_rejects_a_malformed_boolean():
    out = settings_value("settings.DEBUG", DEBUG="maybe")
    assert "DEBUG must be a boolean" in out


def test_it_passes_the_deploy_check_with_production_variables():
    env = {k: v for k, v in os.environ.items() if k not in IGNORED_ENV}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 60 + "production-like-secret-key-with-enough-entropy",
        ALLOWED_HOSTS="plans.example.org",
        DJANGO_SETTINGS_MODULE="acclab.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_collects_static_files_for_production(tmp_path):
    """The manifest storage resolves every url() and source reference of our CSS/JS, vendored ones too."""
    env = {k: v for k, v in os.environ.items() if k not in IGNORED_ENV}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 60 + "collectstatic-check",
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="acclab.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


# ------------------------------------------------------------------ .env


def test_it_fills_unset_variables_from_the_env_file(tmp_path):
    env_file = tmp_path / "acclab.env"
    env_file.write_text(
        '# production\nSITE_URL=https://plans.example.org\nexport DEFAULT_FROM_EMAIL="Plans <p@x.org>"\n'
    )
    out = settings_value("settings.SITE_URL, settings.DEFAULT_FROM_EMAIL", ENV_FILE=str(env_file))
    assert out == "https://plans.example.org Plans <p@x.org>"


def test_it_prefers_the_real_environment_to_the_env_file(tmp_path):
    env_file = tmp_path / "acclab.env"
    env_file.write_text("SITE_URL=https://plans.example.org\n")
    out = settings_value("settings.SITE_URL", ENV_FILE=str(env_file), SITE_URL="https://staging.example.org")
    assert out == "https://staging.example.org"


def test_it_starts_in_production_from_the_example_env_file():
    out = settings_value("settings.DEBUG, settings.STATIC_ROOT", ENV_FILE=str(REPO / ".env.example"))
    assert out == "False /srv/acclab/static"


def test_it_refuses_an_env_file_that_does_not_exist(tmp_path):
    out = settings_value("settings.DEBUG", ENV_FILE=str(tmp_path / "missing.env"))
    assert "ENV_FILE names a file that does not exist" in out


def test_it_documents_every_variable_it_reads():
    settings_source = (REPO / "acclab" / "settings.py").read_text(encoding="utf-8")
    names = r'(?:os\.environ\.get|env(?:bool|int|list))\(\s*"([A-Z][A-Z0-9_]+)"'
    read = set(re.findall(names, settings_source)) | {"DATABASE_URL"}  # dj-database-url reads DATABASE_URL
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ")]
    assert read - set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M)) == set()
    assert (read | {"ACCLAB_ADDR"}) - set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table)) == set()


def test_it_lets_a_sqlite_writer_wait_for_the_lock_longer_than_pythons_default(tmp_path):
    """Two task workers on a busy machine waited more than sqlite3's 5 s and lost a queued e-mail task."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert settings_value('settings.DATABASES["default"]["OPTIONS"]["timeout"]', DATABASE_URL=url) == "20"
