# The real packages must win over the same-named folders (contracts/, gateway/) that pytest's
# importlib mode would otherwise register as empty packages when collecting their tests.
import contracts  # noqa: F401
import gateway  # noqa: F401

pytest_plugins = ["devstack.pytest_plugin"]
