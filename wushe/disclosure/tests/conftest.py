from wushe.projects.tests.conftest import assistance_call, world  # noqa: F401 - fixtures
