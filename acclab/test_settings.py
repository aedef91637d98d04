"""Settings for the test suite (pytest reads this module, see pyproject.toml): the real settings, with the
few changes that make tests fast and nothing that changes what a test can observe.

Subprocess tests that must see production behaviour (tests/test_settings.py, the two-server cache test) set
DJANGO_SETTINGS_MODULE=acclab.settings themselves.
"""

import os

# Tests see only the variables they set: a developer's .env (production-like values, another database) is
# not read, here or in the subprocesses tests start, which inherit this environment.
os.environ["ENV_FILE"] = ""

from acclab.settings import *  # noqa: E402, F403

# The default PBKDF2 hasher runs 1.5 million rounds (about a second on a CI core) for every user a fixture
# creates and every sign-in; MD5 makes that instant. Tests never depend on the hashing algorithm.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run in the test process as soon as they are enqueued (after the transaction commits, where the code
# enqueues them on commit): tests observe their effects without a worker. Tests of the worker itself
# (tests/test_tasks*.py) switch to the database backend.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# The API's published rate limit (60 a minute) would answer 429 to the schemathesis run and to test files that
# ask more within a minute; tests of the limit itself (tests/test_fair_use.py) set it back.
API_ANON_RATE = "100000/minute"
API_KEY_RATE = "200000/minute"
